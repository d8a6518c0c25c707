// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** Publishes waiting for their acknowledgement: bounded in count and bytes, in send order. */

import { OutboxFullError } from "./errors.js";
import type { Published } from "./frames.js";

/** One publish: its frame, and the promise to settle once. */
export interface OutboxEntry {
  readonly id: string;
  readonly room: string;
  readonly text: string;
  /** The encoded ``chat`` frame, sent again as is after every reconnect. */
  readonly wire: string;
  readonly bytes: number;
  /** The connection it was last sent on (0: not yet sent on the current one). */
  sentOn: number;
  /** When it was last sent (ms, for the command timeout). */
  sentAt: number;
  /** Attempts the service answered "try again" to (rate limit, broker unavailable). */
  retries: number;
  resolve(ack: Published): void;
  reject(error: Error): void;
}

/** The limits of the outbox. */
export interface OutboxLimits {
  maxOutbox: number;
  maxOutboxBytes: number;
}

const encoder = new TextEncoder();

/** Publishes by message id, oldest first; `add` throws at once when a limit would be passed. */
export class Outbox {
  private readonly entries = new Map<string, OutboxEntry>();
  private bytes = 0;

  constructor(private readonly limits: OutboxLimits) {}

  get size(): number {
    return this.entries.size;
  }

  /** The encoded size of a frame, as the limits count it. */
  static sizeOf(wire: string): number {
    return encoder.encode(wire).length;
  }

  /** Queue `entry`, or throw OutboxFullError (nothing queued) when it does not fit. */
  add(entry: OutboxEntry): void {
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

  get(id: string): OutboxEntry | undefined {
    return this.entries.get(id);
  }

  /** Take the entry out (it is settled by the caller); undefined when it is not there. */
  take(id: string): OutboxEntry | undefined {
    const entry = this.entries.get(id);
    if (entry) {
      this.entries.delete(id);
      this.bytes -= entry.bytes;
    }
    return entry;
  }

  /** The entries of `room` (every room when omitted), oldest first. */
  list(room?: string): OutboxEntry[] {
    const all = [...this.entries.values()];
    return room === undefined ? all : all.filter((entry) => entry.room === room);
  }
}
