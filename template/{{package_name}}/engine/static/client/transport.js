// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** Opening the WebSocket: the URL, where the token goes, and which constructor to use. */
export const OPEN = 1;
// The service accepts with this subprotocol when offered (auth/dependency.py).
const CHAT_SUBPROTOCOL = "chat.v1";
const BEARER_PREFIX = "bearer.";
// A subprotocol is an HTTP token (RFC 7230 tchar): a token with other characters goes in the query.
const TOKEN_CHARS = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/**
 * The chat endpoint's absolute ws(s) URL: a relative one resolves against the page (in a
 * browser), and http(s) becomes ws(s). Throws TypeError for anything else.
 */
export function chatUrl(url) {
    const base = globalThis.location?.href;
    let parsed;
    try {
        parsed = new URL(url, base);
    }
    catch {
        throw new TypeError(`not a WebSocket URL: ${JSON.stringify(url)}`);
    }
    if (parsed.protocol === "http:" || parsed.protocol === "https:") {
        parsed.protocol = parsed.protocol === "https:" ? "wss:" : "ws:";
    }
    if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
        throw new TypeError(`not a WebSocket URL (ws:// or wss://): ${JSON.stringify(url)}`);
    }
    return parsed;
}
/**
 * The URL and subprotocols of one connection: the token rides in a ``bearer.<token>``
 * subprotocol, which stays out of access logs and browser history; a token a subprotocol
 * cannot carry goes in ``?token=`` instead.
 */
export function handshake(url, token, service) {
    const target = new URL(url.href);
    if (service)
        target.searchParams.set("service", service);
    const protocols = [CHAT_SUBPROTOCOL];
    if (TOKEN_CHARS.test(token))
        protocols.push(BEARER_PREFIX + token);
    else
        target.searchParams.set("token", token);
    return { url: target.href, protocols };
}
/** The constructor to use: the injected one, else the global `WebSocket`. */
export function socketConstructor(injected) {
    const found = injected ?? globalThis.WebSocket;
    if (!found) {
        throw new TypeError("no WebSocket here (Node < 22): pass one, e.g. new Client(url, { WebSocket })");
    }
    return found;
}
/** A random message id: 128 bits as hex (crypto.getRandomValues works outside secure contexts too). */
export function randomId() {
    const bytes = new Uint8Array(16);
    globalThis.crypto.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
