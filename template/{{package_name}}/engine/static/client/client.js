// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** The client: one WebSocket at a time, reconnected with backoff, with its rooms and outbox. */
import { backoffDelay } from "./backoff.js";
import { ABNORMAL_CLOSURE, classifyClose } from "./close.js";
import { Emitter } from "./emitter.js";
import { ClientError, ClosedError, ConnectionError, TimeoutError, UnauthorizedError } from "./errors.js";
import { refreshDelay, tokenExpiry } from "./jwt.js";
import { settingsOf } from "./options.js";
import { Outbox } from "./outbox.js";
import { Room } from "./room.js";
import { Session } from "./session.js";
import { chatUrl, handshake, randomId, socketConstructor } from "./transport.js";
/** A client of the service's ``/ws/chat``, in browsers and in Node. */
export class Client {
    options;
    /** The current state: "connecting", "connected" or "disconnected". */
    state = "disconnected";
    settings;
    /** The rooms joined (or being joined), by name. */
    rooms = new Map();
    outbox;
    events = new Emitter();
    url;
    WebSocket;
    session;
    connections = 0;
    attempt = 0;
    refusals = 0;
    everConnected = false;
    stopped = true;
    token;
    // The token a refresh in flight moves the session to.
    offered;
    reconnectTimer;
    refreshTimer;
    // Everyone waiting for the connection or a first join: settled with no error once there.
    waiting = new Set();
    /** Throws TypeError at once for a URL that is not ws(s) or http(s), or for bad options. */
    constructor(url, options) {
        this.options = options;
        this.url = chatUrl(url);
        this.settings = settingsOf(options);
        this.WebSocket = socketConstructor(options.WebSocket);
        if (!options.token && !options.getToken)
            throw new TypeError("pass a token or getToken");
        this.outbox = new Outbox(this.settings);
    }
    /** Listen to `state`, `error`, `frame`, `sent` or `close`; returns the function that stops it. */
    on(event, listener) {
        return this.events.on(event, listener);
    }
    /** Stop calling `listener` on `event`. */
    off(event, listener) {
        this.events.off(event, listener);
    }
    /** Connect (if not already); resolves once the service accepted the token. */
    connect() {
        if (this.state === "connected")
            return Promise.resolve();
        const connected = new Promise((resolve, reject) => {
            const settle = (error) => {
                if (error)
                    reject(error);
                else if (this.state === "connected")
                    resolve();
                else
                    return;
                this.waiting.delete(settle);
            };
            this.waiting.add(settle);
        });
        if (this.stopped) {
            // A fresh start: an unreachable service fails it at once, as at the very first connect.
            this.stopped = false;
            this.everConnected = false;
            this.attempt = 0;
            this.refusals = 0;
            void this.open();
        }
        return connected;
    }
    /**
     * Join `name` (connecting first if needed); resolves with the Room once joined. The room is
     * joined again after every reconnect, from its last position, until `room.leave()`.
     */
    join(name, options = {}) {
        let room = this.rooms.get(name);
        if (room?.joined)
            return Promise.resolve(room);
        if (!room) {
            room = new Room(name, options.presence === true, {
                publishIn: (target, text, publish) => this.publishIn(target, text, publish),
                leaveRoom: (target) => this.leaveRoom(target),
            });
            this.rooms.set(name, room);
            if (this.session?.open)
                this.session.join(room);
        }
        const joined = this.whenJoined(room);
        if (this.stopped)
            this.connect().catch(() => undefined); // its failure rejects `joined` too
        return joined;
    }
    /** Send a frame as is (for tools such as the console); false when not connected. */
    send(frame) {
        return this.session?.sendRaw(frame) ?? false;
    }
    /** Close for good: what waits fails with ClosedError; `connect()` or `join()` start again. */
    close() {
        if (!this.stopped)
            this.stop(new ClosedError("the client was closed"), false);
    }
    /** SessionHost: the token was accepted. */
    onConnected() {
        this.attempt = 0;
        this.refusals = 0;
        this.everConnected = true;
        this.setState("connected");
        for (const settle of [...this.waiting])
            settle();
        this.scheduleRefresh(this.token === undefined ? undefined : tokenExpiry(this.token), false);
    }
    /** SessionHost: the socket closed or was given up: reconnect, renew the token, or stop. */
    onClosed(session, close, lastStatus) {
        if (this.session !== session)
            return;
        this.session = undefined;
        clearTimeout(this.refreshTimer);
        for (const room of this.rooms.values())
            room.joined = false;
        const verdict = classifyClose(close.code, close.reason, lastStatus);
        const info = verdict.status === undefined ? close : { ...close, status: verdict.status };
        this.events.emit("close", info);
        if (this.stopped)
            return;
        const why = `close ${close.code}${close.reason ? ` "${close.reason}"` : ""}`;
        if (verdict.action === "token") {
            this.refusals += 1;
            if (!this.options.getToken || this.refusals >= 2) {
                this.stop(new UnauthorizedError(`the service refused the token (${why})`), true, info);
            }
            else {
                this.retry(info, 0); // with a fresh token, at once
            }
        }
        else if (verdict.action === "stop") {
            const error = new ConnectionError(`the service ended the session (${why})`, { code: close.code, status: verdict.status });
            this.stop(error, true, info);
        }
        else if (!this.everConnected && close.code === ABNORMAL_CLOSURE) {
            const where = `${this.url.origin}${this.url.pathname}`;
            const error = new ConnectionError(`could not connect to ${where} (${close.reason || "no answer"})`, { code: close.code, temporary: true });
            this.stop(error, true, info);
        }
        else {
            this.retry(info, backoffDelay(this.attempt++, this.settings));
        }
    }
    /** SessionHost: a refresh was answered (`expiresAt` in Unix s), or failed and is tried again soon. */
    onRefreshed(expiresAt, failed) {
        if (!failed && this.offered !== undefined)
            this.token = this.offered;
        this.offered = undefined;
        const current = this.token === undefined ? undefined : tokenExpiry(this.token);
        this.scheduleRefresh(failed ? current : expiresAt, failed);
    }
    /** SessionHost: the service refused the room, or ended its membership. */
    onRoomEnded(room, reason, error) {
        if (this.rooms.get(room.name) === room)
            this.rooms.delete(room.name);
        this.failPublishes(room.name, error ?? new ClosedError(`the service took the client out of ${room.name} (${reason})`));
        room.onEnded(reason, error);
    }
    publishIn(room, text, options) {
        if (typeof text !== "string" || !text)
            throw new TypeError("publish needs a non-empty text");
        if (this.rooms.get(room.name) !== room)
            return Promise.reject(new ClosedError(`${room.name} was left`));
        if (this.stopped)
            return Promise.reject(new ClosedError("the client is not connected: call connect() or join() first"));
        const id = options.id ?? randomId();
        if (this.outbox.get(id))
            return Promise.reject(new TypeError(`message ${id} is already being published`));
        const wire = JSON.stringify({ type: "chat", room: room.name, text, id });
        let settle;
        const published = new Promise((resolve, reject) => (settle = { resolve, reject }));
        const limit = options.timeout ?? this.settings.publishTimeout;
        let timer;
        const entry = {
            id, room: room.name, text, wire, bytes: Outbox.sizeOf(wire), sentOn: 0, sentAt: 0, retries: 0,
            resolve: (ack) => { clearTimeout(timer); settle.resolve(ack); },
            reject: (error) => { clearTimeout(timer); settle.reject(error); },
        };
        this.outbox.add(entry); // throws OutboxFullError at once, nothing queued
        if (limit > 0) {
            timer = setTimeout(() => {
                if (this.outbox.take(id) !== entry)
                    return;
                const message = `no acknowledgement of ${id} within ${limit} ms: it may or may not be in ${room.name}; publish again with the same id to be sure`;
                settle.reject(new TimeoutError(message, id));
            }, limit);
        }
        this.session?.offer(entry);
        return published;
    }
    async leaveRoom(room) {
        if (this.rooms.get(room.name) !== room)
            return;
        this.rooms.delete(room.name);
        this.failPublishes(room.name, new ClosedError(`left ${room.name} before the publish was acknowledged`));
        const session = this.session;
        const wasJoined = room.joined;
        room.onEnded(undefined);
        if (session?.open && wasJoined)
            await session.leave(room);
    }
    failPublishes(room, error) {
        for (const entry of this.outbox.list(room)) {
            this.outbox.take(entry.id);
            entry.reject(error);
        }
    }
    whenJoined(room) {
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                settle(new TimeoutError(`joining ${room.name} took over ${this.settings.timeout} ms`));
                if (this.rooms.get(room.name) === room && !room.joined)
                    void this.leaveRoom(room);
            }, this.settings.timeout);
            const offJoined = room.on("joined", () => settle());
            const offError = room.on("error", (error) => settle(error));
            // Only a stop settles it through `waiting` (with an error): connected is not joined yet.
            const stopped = (error) => error && settle(error);
            const settle = (error) => {
                clearTimeout(timer);
                offJoined();
                offError();
                this.waiting.delete(stopped);
                if (error)
                    reject(error);
                else
                    resolve(room);
            };
            this.waiting.add(stopped);
        });
    }
    async open() {
        const id = ++this.connections;
        this.setState("connecting");
        let token;
        try {
            const given = this.options.getToken ? await this.options.getToken() : this.options.token;
            if (typeof given !== "string" || !given)
                throw new UnauthorizedError("getToken gave no token");
            token = given;
        }
        catch (error) {
            if (id !== this.connections || this.stopped)
                return;
            if (error instanceof ClientError || !this.everConnected) {
                const reason = error instanceof ClientError ? error : new ClientError(`getToken failed: ${String(error)}`, { temporary: true, cause: error });
                this.stop(reason);
            }
            else {
                this.retry(undefined, backoffDelay(this.attempt++, this.settings));
            }
            return;
        }
        if (id !== this.connections || this.stopped)
            return;
        this.token = token;
        const { url, protocols } = handshake(this.url, token, this.options.service);
        let socket;
        try {
            socket = new this.WebSocket(url, protocols);
        }
        catch (error) {
            this.stop(new ConnectionError(`cannot open ${this.url.href}: ${String(error)}`));
            return;
        }
        this.session = new Session(this, socket, id, this.events);
    }
    scheduleRefresh(expiresAt, failed) {
        clearTimeout(this.refreshTimer);
        const now = Date.now();
        // Only getToken can give a new token; past `exp` the service ends the session (40101).
        if (!this.options.getToken || expiresAt === undefined || expiresAt * 1000 <= now)
            return;
        const remaining = expiresAt * 1000 - now;
        const delay = failed ? Math.min(5_000, Math.max(1_000, remaining / 2)) : refreshDelay(expiresAt, now);
        this.refreshTimer = setTimeout(() => void this.refresh(expiresAt), delay);
    }
    async refresh(expiresAt) {
        const session = this.session;
        if (!session || !this.options.getToken)
            return;
        let token;
        try {
            token = await this.options.getToken();
        }
        catch {
            this.scheduleRefresh(expiresAt, true);
            return;
        }
        if (this.session !== session || !token)
            return;
        this.offered = token;
        session.refresh(token);
    }
    retry(close, delay) {
        clearTimeout(this.reconnectTimer);
        this.setState("connecting", { delay, ...(close ? { close } : {}) });
        this.reconnectTimer = setTimeout(() => void this.open(), delay);
    }
    stop(error, report = true, close) {
        this.stopped = true;
        this.connections += 1; // a getToken still running must not open a socket
        clearTimeout(this.reconnectTimer);
        clearTimeout(this.refreshTimer);
        this.session?.end(1000, "client closed");
        this.session = undefined;
        for (const room of this.rooms.values())
            room.joined = false;
        this.failPublishes(undefined, error);
        for (const settle of [...this.waiting])
            settle(error);
        this.waiting.clear();
        this.setState("disconnected", { error, ...(close ? { close } : {}) });
        if (report)
            this.events.emit("error", error);
    }
    setState(state, details = {}) {
        const previous = this.state;
        this.state = state;
        if (previous !== state || details.delay !== undefined || details.error) {
            this.events.emit("state", { state, previous, ...details });
        }
    }
}
