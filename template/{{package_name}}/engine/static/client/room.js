// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** A joined room: its position in the stream, its events, and what it has not delivered yet. */
import { Emitter } from "./emitter.js";
// Messages held for a room nobody listens to yet (a listener added right after `join`).
const MAX_HELD = 10_000;
/** A room of the service, followed across reconnects (``client.join`` returns it). */
export class Room {
    name;
    presence;
    host;
    /** The last position delivered (undefined before the first ``joined``). */
    position;
    /** Whether the room is joined on the current connection. */
    joined = false;
    events = new Emitter();
    held = [];
    missedUntil;
    askedSince = false;
    constructor(name, presence, host) {
        this.name = name;
        this.presence = presence;
        this.host = host;
    }
    /** Listen to the room's `message`, `reset`, `joined`, `left` or `error` events. */
    on(event, listener) {
        const off = this.events.on(event, listener);
        if (event === "message")
            this.release();
        return off;
    }
    /** Stop calling `listener` on `event`. */
    off(event, listener) {
        this.events.off(event, listener);
    }
    /**
     * Publish `text` once: resolves with the service's ``published`` reply, retried across
     * reconnects with the same id. Throws OutboxFullError at once when the outbox is full.
     */
    publish(text, options = {}) {
        return this.host.publishIn(this, text, options);
    }
    /** Leave the room: no more events, no rejoin; its unacknowledged publishes fail. */
    leave() {
        return this.host.leaveRoom(this);
    }
    /** The ``join`` frame for the current connection: with ``since`` once a position is known. */
    joinFrame() {
        this.askedSince = this.position !== undefined;
        const frame = { type: "join", room: this.name };
        if (this.position)
            frame.since = { offset: this.position.offset, epoch: this.position.epoch };
        if (this.presence)
            frame.presence = true;
        return frame;
    }
    /** The service's ``joined``: a resume that lost messages becomes a `reset` event. */
    onJoined(position, recovered) {
        this.joined = true;
        this.missedUntil = undefined;
        if (this.askedSince && recovered === true) {
            this.missedUntil = position.offset;
        }
        else if (this.askedSince) {
            this.reset(position, "not recovered");
        }
        else {
            this.position = { offset: position.offset, epoch: position.epoch };
        }
        this.events.emit("joined", { room: this.name, offset: position.offset, epoch: position.epoch, recovered });
    }
    /** A room message: delivered once, in offset order; a gap or new epoch is a reset first. */
    onMessage(frame) {
        const position = this.position;
        if (!position || !this.joined)
            return;
        if (frame.epoch === position.epoch && frame.offset <= position.offset)
            return; // seen
        if (frame.epoch !== position.epoch) {
            this.reset({ offset: frame.offset - 1, epoch: frame.epoch }, "epoch");
        }
        else if (frame.offset > position.offset + 1) {
            this.reset({ offset: frame.offset - 1, epoch: frame.epoch }, "gap");
        }
        this.position = { offset: frame.offset, epoch: frame.epoch };
        const missed = this.missedUntil !== undefined && frame.offset <= this.missedUntil;
        this.hold(["message", frame, { missed }]);
    }
    /** The service's ``reset`` frame: history resumes at its position. */
    onServiceReset(position) {
        if (this.joined)
            this.reset(position, "service");
    }
    /** The service ended the membership (``left`` with a reason), or a rejoin failed for good. */
    onEnded(reason, error) {
        this.joined = false;
        if (error)
            this.events.emit("error", error);
        this.events.emit("left", reason);
    }
    reset(position, reason) {
        this.position = { offset: position.offset, epoch: position.epoch };
        this.hold(["reset", { room: this.name, offset: position.offset, epoch: position.epoch, reason }]);
    }
    hold(item) {
        if (this.held.length === 0 && this.events.listenerCount("message") > 0) {
            this.dispatch(item);
            return;
        }
        if (this.held.length >= MAX_HELD) {
            const at = this.position ?? { offset: 0, epoch: "" };
            this.held = [["reset", { room: this.name, offset: at.offset, epoch: at.epoch, reason: "overflow" }]];
            return;
        }
        this.held.push(item);
    }
    release() {
        const held = this.held;
        this.held = [];
        for (const item of held)
            this.dispatch(item);
    }
    dispatch(item) {
        if (item[0] === "message")
            this.events.emit("message", item[1], item[2]);
        else
            this.events.emit("reset", item[1]);
    }
}
