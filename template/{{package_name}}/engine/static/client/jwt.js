// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** When a JWT expires, read from its payload (no signature check: the service does that). */
/** The token's ``exp`` in Unix seconds; undefined for a token that is not a JWT or has none. */
export function tokenExpiry(token) {
    const parts = token.split(".");
    if (parts.length !== 3 || parts[1] === undefined)
        return undefined;
    try {
        const base64 = parts[1].replace(/-/g, "+").replace(/_/g, "/");
        const payload = JSON.parse(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, "=")));
        if (payload !== null && typeof payload === "object" && "exp" in payload) {
            const exp = payload.exp;
            return typeof exp === "number" && Number.isFinite(exp) ? exp : undefined;
        }
    }
    catch {
        // Not base64 or not JSON: an opaque token, never refreshed on a schedule.
    }
    return undefined;
}
/**
 * Milliseconds from `now` (Unix ms) until a token expiring at `expiresAt` (Unix s) should be
 * refreshed: a third of its remaining life early, at most 30 s, so a short-lived token still
 * leaves the refresh time to be answered and a long-lived one is not refreshed for nothing.
 */
export function refreshDelay(expiresAt, now) {
    const remaining = expiresAt * 1000 - now;
    return Math.max(0, remaining - Math.min(30_000, remaining / 3));
}
