// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** Publishes waiting for their acknowledgement: bounded in count and bytes, in send order. */
import { OutboxFullError } from "./errors.js";
const encoder = new TextEncoder();
/** Publishes by message id, oldest first; `add` throws at once when a limit would be passed. */
export class Outbox {
    limits;
    entries = new Map();
    bytes = 0;
    constructor(limits) {
        this.limits = limits;
    }
    get size() {
        return this.entries.size;
    }
    /** The encoded size of a frame, as the limits count it. */
    static sizeOf(wire) {
        return encoder.encode(wire).length;
    }
    /** Queue `entry`, or throw OutboxFullError (nothing queued) when it does not fit. */
    add(entry) {
        const { maxOutbox, maxOutboxBytes } = this.limits;
        if (this.entries.size >= maxOutbox) {
            throw new OutboxFullError(`the outbox is full: ${maxOutbox} messages wait for their acknowledgement`);
        }
        if (this.bytes + entry.bytes > maxOutboxBytes) {
            throw new OutboxFullError(`the outbox is full: ${this.bytes} of ${maxOutboxBytes} bytes wait for their acknowledgement`);
        }
        this.entries.set(entry.id, entry);
        this.bytes += entry.bytes;
    }
    get(id) {
        return this.entries.get(id);
    }
    /** Take the entry out (it is settled by the caller); undefined when it is not there. */
    take(id) {
        const entry = this.entries.get(id);
        if (entry) {
            this.entries.delete(id);
            this.bytes -= entry.bytes;
        }
        return entry;
    }
    /** The entries of `room` (every room when omitted), oldest first. */
    list(room) {
        const all = [...this.entries.values()];
        return room === undefined ? all : all.filter((entry) => entry.room === room);
    }
}
