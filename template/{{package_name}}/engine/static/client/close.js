// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** Why a session ended, read from its close code and reason, and what the client does next. */
/** The statuses with which the service ends a session (sent in an error frame and the reason). */
export const TOKEN_REFUSED = 40001;
export const TOKEN_EXPIRED = 40101;
export const RATE_LIMITED = 42901;
/** Closes after which the service expects the client back: restarts, overload, network loss. */
const RECONNECT_CODES = new Set([1001, 1005, 1006, 1011, 1012, 1013, 1014]);
/** The code a browser reports when the link dropped or the handshake failed. */
export const ABNORMAL_CLOSURE = 1006;
export const POLICY_VIOLATION = 1008;
// Services older than the status-in-reason protocol said the same with these reasons.
const LEGACY_REASONS = {
    "authentication failed": TOKEN_REFUSED,
    "token expired": TOKEN_EXPIRED,
    "rate limit exceeded": RATE_LIMITED,
};
/** The status a close reason starts with (``"40101 token expired"`` → 40101). */
export function reasonStatus(reason) {
    const match = /^(\d{5})(?: |$)/.exec(reason);
    if (match)
        return Number(match[1]);
    return LEGACY_REASONS[reason];
}
/**
 * Classify a close: `lastStatus` is the status of a session-ending error frame received just
 * before it (the reason may be empty, e.g. when a proxy passed the frame but not the reason).
 */
export function classifyClose(code, reason, lastStatus) {
    const status = reasonStatus(reason) ?? lastStatus;
    if (status === TOKEN_REFUSED || status === TOKEN_EXPIRED)
        return { action: "token", status };
    if (code === POLICY_VIOLATION) {
        return { action: status === RATE_LIMITED ? "reconnect" : "stop", status };
    }
    return { action: RECONNECT_CODES.has(code) ? "reconnect" : "stop", status };
}
