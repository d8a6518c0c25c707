// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** A joined room: its position in the stream, its events, and what it has not delivered yet. */

import { Emitter } from "./emitter.js";
import type { ClientError } from "./errors.js";
import type { Frame, Published, RoomMessage, StreamPosition } from "./frames.js";

/** Why a room's messages could not all be delivered. */
export type ResetReason =
  | "not recovered" // the resume found the history gone (another epoch, or trimmed)
  | "service" // the service's ``reset`` frame: it lost messages of its live feed
  | "epoch" // a message of a new epoch came without either of the above
  | "gap" // an offset was skipped
  | "overflow"; // more messages arrived before a "message" listener than the room holds

/** A ``reset`` event: messages were lost; the room goes on from `offset` in `epoch`. */
export interface ResetInfo extends StreamPosition {
  room: string;
  reason: ResetReason;
}

/** A ``joined`` event: the room is (again) joined; `recovered` after a resume. */
export interface JoinedInfo extends StreamPosition {
  room: string;
  recovered: boolean | undefined;
}

/** How a message came: `missed` ones were sent while the client was away. */
export interface MessageInfo {
  missed: boolean;
}

/** Options of one publish. */
export interface PublishOptions {
  /** The message id; the default is a random one. Reuse a failed publish's id to retry it. */
  id?: string;
  /** Give up after this many ms (the client's `publishTimeout` by default; 0: never). */
  timeout?: number;
}

export interface RoomEvents {
  message: [frame: RoomMessage, info: MessageInfo];
  reset: [info: ResetInfo];
  joined: [info: JoinedInfo];
  left: [reason: string | undefined];
  error: [error: ClientError];
}

/** What a room asks of its client. */
export interface RoomHost {
  publishIn(room: Room, text: string, options: PublishOptions): Promise<Published>;
  leaveRoom(room: Room): Promise<void>;
}

// Messages held for a room nobody listens to yet (a listener added right after `join`).
const MAX_HELD = 10_000;

type Held = ["message", RoomMessage, MessageInfo] | ["reset", ResetInfo];

/** A room of the service, followed across reconnects (``client.join`` returns it). */
export class Room {
  /** The last position delivered (undefined before the first ``joined``). */
  position: StreamPosition | undefined;
  /** Whether the room is joined on the current connection. */
  joined = false;
  private readonly events = new Emitter<RoomEvents>();
  private held: Held[] = [];
  private missedUntil: number | undefined;
  private askedSince = false;

  constructor(
    readonly name: string,
    readonly presence: boolean,
    private readonly host: RoomHost,
  ) {}

  /** Listen to the room's `message`, `reset`, `joined`, `left` or `error` events. */
  on<K extends keyof RoomEvents>(event: K, listener: (...args: RoomEvents[K]) => void): () => void {
    const off = this.events.on(event, listener);
    if (event === "message") this.release();
    return off;
  }

  /** Stop calling `listener` on `event`. */
  off<K extends keyof RoomEvents>(event: K, listener: (...args: RoomEvents[K]) => void): void {
    this.events.off(event, listener);
  }

  /**
   * Publish `text` once: resolves with the service's ``published`` reply, retried across
   * reconnects with the same id. Throws OutboxFullError at once when the outbox is full.
   */
  publish(text: string, options: PublishOptions = {}): Promise<Published> {
    return this.host.publishIn(this, text, options);
  }

  /** Leave the room: no more events, no rejoin; its unacknowledged publishes fail. */
  leave(): Promise<void> {
    return this.host.leaveRoom(this);
  }

  /** The ``join`` frame for the current connection: with ``since`` once a position is known. */
  joinFrame(): Frame {
    this.askedSince = this.position !== undefined;
    const frame: Record<string, unknown> = { type: "join", room: this.name };
    if (this.position) frame.since = { offset: this.position.offset, epoch: this.position.epoch };
    if (this.presence) frame.presence = true;
    return frame;
  }

  /** The service's ``joined``: a resume that lost messages becomes a `reset` event. */
  onJoined(position: StreamPosition, recovered: boolean | undefined): void {
    this.joined = true;
    this.missedUntil = undefined;
    if (this.askedSince && recovered === true) {
      this.missedUntil = position.offset;
    } else if (this.askedSince) {
      this.reset(position, "not recovered");
    } else {
      this.position = { offset: position.offset, epoch: position.epoch };
    }
    this.events.emit("joined", { room: this.name, offset: position.offset, epoch: position.epoch, recovered });
  }

  /** A room message: delivered once, in offset order; a gap or new epoch is a reset first. */
  onMessage(frame: RoomMessage): void {
    const position = this.position;
    if (!position || !this.joined) return;
    if (frame.epoch === position.epoch && frame.offset <= position.offset) return; // seen
    if (frame.epoch !== position.epoch) {
      this.reset({ offset: frame.offset - 1, epoch: frame.epoch }, "epoch");
    } else if (frame.offset > position.offset + 1) {
      this.reset({ offset: frame.offset - 1, epoch: frame.epoch }, "gap");
    }
    this.position = { offset: frame.offset, epoch: frame.epoch };
    const missed = this.missedUntil !== undefined && frame.offset <= this.missedUntil;
    this.hold(["message", frame, { missed }]);
  }

  /** The service's ``reset`` frame: history resumes at its position. */
  onServiceReset(position: StreamPosition): void {
    if (this.joined) this.reset(position, "service");
  }

  /** The service ended the membership (``left`` with a reason), or a rejoin failed for good. */
  onEnded(reason: string | undefined, error?: ClientError): void {
    this.joined = false;
    if (error) this.events.emit("error", error);
    this.events.emit("left", reason);
  }

  private reset(position: StreamPosition, reason: ResetReason): void {
    this.position = { offset: position.offset, epoch: position.epoch };
    this.hold(["reset", { room: this.name, offset: position.offset, epoch: position.epoch, reason }]);
  }

  private hold(item: Held): void {
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

  private release(): void {
    const held = this.held;
    this.held = [];
    for (const item of held) this.dispatch(item);
  }

  private dispatch(item: Held): void {
    if (item[0] === "message") this.events.emit("message", item[1], item[2]);
    else this.events.emit("reset", item[1]);
  }
}
