// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** One WebSocket connection: its heartbeat, its commands in flight, and the frames it reads. */
import { backoffDelay } from "./backoff.js";
import { ServiceError } from "./errors.js";
import { isErrorFrame, isObject, isPosition, isRoomMessage, roomOf } from "./frames.js";
import { OPEN } from "./transport.js";
/** Answers to a publish that mean "send it again, with the same id". */
const RETRY_PUBLISH = new Set([
    42901, // rate limited: the chat was dropped
    50010, // the broker certainly did not publish it
    50011, // the broker may have published it: the id makes a retry safe
]);
const BROKER_UNAVAILABLE = 50010;
const REFRESH_REFUSED = 40009;
/** Statuses with which the service ends a session (its error frame comes before the close). */
const SESSION_ENDING = new Set([40001, 40101, 40302, 41301, 42901, 50301, 50302]);
function noop() { }
/** A connection to the service, from open to close; the client makes a new one per reconnect. */
export class Session {
    host;
    socket;
    id;
    events;
    /** True once the service answered something other than an error (the token was accepted). */
    connected = false;
    ended = false;
    heartbeat;
    lastReceived = Date.now();
    // One entry per ping in flight, oldest first: true for the client's own heartbeat pings.
    pings = [];
    joins = new Map();
    leaves = new Map();
    refreshing;
    lastStatus;
    timers = new Set();
    watchdog;
    constructor(host, socket, id, events) {
        this.host = host;
        this.socket = socket;
        this.id = id;
        this.events = events;
        this.heartbeat = host.settings.heartbeat;
        socket.onopen = () => this.opened();
        socket.onmessage = (event) => this.receive(event.data);
        socket.onclose = (event) => this.finish({ code: event.code, reason: event.reason, wasClean: event.wasClean });
        socket.onerror = noop; // the close event that follows says more
        this.watch();
    }
    /** Whether frames can be sent now. */
    get open() {
        return !this.ended && this.socket.readyState === OPEN;
    }
    /** Send the room's ``join`` (with ``since`` when it has a position). */
    join(room) {
        if (this.send(room.joinFrame(), false))
            this.joins.set(room.name, Date.now());
    }
    /** Send ``leave``; resolves once the service confirms (or after the command timeout). */
    leave(room) {
        return new Promise((resolve) => {
            if (!this.send({ type: "leave", room: room.name }, false))
                return resolve();
            const timer = this.later(() => this.leaves.get(room.name)?.(), this.host.settings.timeout);
            this.leaves.set(room.name, () => {
                this.leaves.delete(room.name);
                clearTimeout(timer);
                resolve();
            });
        });
    }
    /** Move the session to `token` (``refresh``); the client hears back through onRefreshed. */
    refresh(token) {
        if (this.send({ type: "refresh", token }, false))
            this.refreshing = { sentAt: Date.now() };
    }
    /** Send a publish of the outbox, if its room is joined on this connection. */
    offer(entry) {
        if (this.host.outbox.get(entry.id) !== entry)
            return; // settled (acknowledged, failed, timed out)
        const room = this.host.rooms.get(entry.room);
        if (!room?.joined || !this.connected || entry.sentOn === this.id)
            return;
        if (this.send(entry.wire, false)) {
            entry.sentOn = this.id;
            entry.sentAt = Date.now();
        }
    }
    /** Send a frame as is; false when the socket is not open. */
    sendRaw(frame) {
        let decoded = frame;
        if (typeof frame === "string") {
            try {
                decoded = JSON.parse(frame);
            }
            catch {
                decoded = undefined;
            }
        }
        const ping = isObject(decoded) && decoded.type === "ping";
        const sent = this.send(frame, false);
        if (sent && ping)
            this.pings.push(false);
        return sent;
    }
    /** Close the socket (the client is done with it); `onClosed` follows at once. */
    end(code, reason) {
        this.detach();
        try {
            this.socket.close(code, reason);
        }
        catch {
            this.socket.terminate?.();
        }
        this.finish({ code, reason, wasClean: true });
    }
    opened() {
        this.lastReceived = Date.now();
        this.ping();
        for (const room of this.host.rooms.values())
            this.join(room);
    }
    send(frame, internal) {
        if (!this.open)
            return false;
        const text = typeof frame === "string" ? frame : JSON.stringify(frame);
        this.socket.send(text);
        this.events.emit("sent", text, { internal, text });
        return true;
    }
    ping() {
        if (this.send({ type: "ping" }, true))
            this.pings.push(true);
    }
    receive(data) {
        if (this.ended)
            return;
        this.lastReceived = Date.now();
        const text = typeof data === "string" ? data : String(data);
        let frame;
        try {
            frame = JSON.parse(text);
        }
        catch {
            this.events.emit("frame", text, { internal: false, text });
            return;
        }
        if (!isObject(frame)) {
            this.events.emit("frame", text, { internal: false, text });
            return;
        }
        const internal = frame.type === "pong" && (this.pings.shift() ?? false);
        this.events.emit("frame", frame, { internal, text });
        if (this.ended)
            return; // a listener closed the client
        if (isErrorFrame(frame)) {
            this.failed(frame);
            return;
        }
        if (!this.connected) {
            this.connected = true;
            this.host.onConnected();
            if (this.ended)
                return;
            for (const room of this.host.rooms.values())
                this.flush(room);
        }
        this.dispatch(frame);
    }
    dispatch(frame) {
        const name = roomOf(frame);
        const room = name === undefined ? undefined : this.host.rooms.get(name);
        if (isRoomMessage(frame)) {
            room?.onMessage(frame);
        }
        else if (frame.type === "joined" && room && isPosition(frame) && this.joins.delete(room.name)) {
            // Only the answer to this session's own join moves the room (a tool may send its own).
            room.onJoined(frame, typeof frame.recovered === "boolean" ? frame.recovered : undefined);
            this.flush(room);
        }
        else if (frame.type === "published" && typeof frame.id === "string") {
            const entry = this.host.outbox.take(frame.id);
            entry?.resolve(frame);
        }
        else if (frame.type === "reset" && room && isPosition(frame)) {
            room.onServiceReset(frame);
        }
        else if (frame.type === "left" && name !== undefined) {
            this.leaves.get(name)?.();
            if (room && typeof frame.reason === "string")
                this.host.onRoomEnded(room, frame.reason);
        }
        else if (frame.type === "refreshed" && this.refreshing) {
            this.refreshing = undefined;
            this.host.onRefreshed(typeof frame.expires_at === "number" ? frame.expires_at : undefined, false);
        }
        else if (frame.type === "pong" && typeof frame.heartbeat === "number" && frame.heartbeat > 0) {
            this.heartbeat = frame.heartbeat * 1000;
        }
    }
    /** An error frame: it answers a publish (by id), a join (by room), a refresh, or ends the session. */
    failed(frame) {
        const entry = typeof frame.id === "string" ? this.host.outbox.get(frame.id) : undefined;
        const name = roomOf(frame);
        const room = name === undefined ? undefined : this.host.rooms.get(name);
        if (entry) {
            if (RETRY_PUBLISH.has(frame.status)) {
                entry.retries += 1;
                entry.sentOn = 0;
                this.later(() => this.offer(entry), backoffDelay(entry.retries - 1, this.host.settings));
            }
            else {
                this.host.outbox.take(entry.id);
                entry.reject(new ServiceError(frame.status, frame.message, frame));
            }
        }
        else if (frame.status === REFRESH_REFUSED && this.refreshing) {
            this.refreshing = undefined;
            this.host.onRefreshed(undefined, true);
        }
        else if (room && this.joins.has(room.name)) {
            this.joins.delete(room.name);
            if (frame.status === BROKER_UNAVAILABLE) {
                const attempt = backoffDelay(0, this.host.settings);
                this.later(() => this.host.rooms.get(room.name) === room && this.join(room), attempt);
            }
            else {
                this.host.onRoomEnded(room, "refused", new ServiceError(frame.status, frame.message, frame));
            }
        }
        else if (frame.id === undefined && SESSION_ENDING.has(frame.status)) {
            this.lastStatus = frame.status;
        }
    }
    flush(room) {
        for (const entry of this.host.outbox.list(room.name))
            this.offer(entry);
    }
    /** Heartbeat pings, and the checks that give up a dead link or an unanswered command. */
    watch() {
        const { timeout } = this.host.settings;
        const tick = Math.max(50, Math.min(1_000, this.deadAfter() / 4, timeout / 4));
        let lastPing = Date.now();
        this.watchdog = setInterval(() => {
            const now = Date.now();
            if (!this.open) {
                if (now - this.lastReceived > timeout)
                    this.giveUp(`no connection within ${timeout} ms`);
                return;
            }
            // At least twice per deadAfter, so that a quiet but live link is never taken for dead.
            if (now - lastPing >= Math.min(this.heartbeat, this.deadAfter() / 2)) {
                lastPing = now;
                this.ping();
            }
            const deadAfter = this.deadAfter();
            if (now - this.lastReceived > deadAfter)
                return this.giveUp(`nothing received for ${deadAfter} ms`);
            if (!this.connected && now - this.lastReceived > timeout)
                return this.giveUp("the service did not answer");
            const late = now - timeout;
            if ([...this.joins.values()].some((sentAt) => sentAt < late))
                return this.giveUp("a join got no answer");
            if (this.refreshing && this.refreshing.sentAt < late) {
                this.refreshing = undefined;
                this.host.onRefreshed(undefined, true);
            }
            for (const entry of this.host.outbox.list()) {
                if (entry.sentOn === this.id && entry.sentAt < late)
                    return this.giveUp("a publish got no answer");
            }
        }, tick);
    }
    deadAfter() {
        return this.host.settings.deadAfter ?? 2 * this.heartbeat;
    }
    /** The link is dead (or the service too slow to be of use): drop it without waiting. */
    giveUp(reason) {
        this.detach();
        if (this.socket.terminate)
            this.socket.terminate();
        else
            this.socket.close(4000, reason.slice(0, 120));
        this.finish({ code: 1006, reason, wasClean: false });
    }
    detach() {
        this.socket.onopen = noop;
        this.socket.onmessage = noop;
        this.socket.onclose = noop;
        this.socket.onerror = noop;
    }
    finish(close) {
        if (this.ended)
            return;
        this.ended = true;
        clearInterval(this.watchdog);
        for (const timer of this.timers)
            clearTimeout(timer);
        for (const resolve of [...this.leaves.values()])
            resolve();
        for (const entry of this.host.outbox.list())
            if (entry.sentOn === this.id)
                entry.sentOn = 0;
        this.host.onClosed(this, close, this.lastStatus);
    }
    later(action, delay) {
        const timer = setTimeout(() => {
            this.timers.delete(timer);
            if (!this.ended)
                action();
        }, delay);
        this.timers.add(timer);
        return timer;
    }
}
