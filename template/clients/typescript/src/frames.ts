// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/**
 * The frames of ``/ws/chat`` this client itself sends and reads. They are written here, not
 * taken from the generated ``messages.ts``, so the client's own protocol never changes with
 * the handlers of a project.
 */

/** A position in a room's stream: its offset and the epoch the offset counts in. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** Any frame: a JSON object, usually with a ``type``. */
export type Frame = Readonly<Record<string, unknown>>;

/** A message of a room: its place in the room's stream. */
interface Positioned extends Frame {
  readonly room: string;
  readonly offset: number;
  readonly epoch: string;
}

/** ``chat``: a member's text (``id``: the sender's message id, when it gave one). */
export interface ChatMessage extends Positioned {
  readonly type: "chat";
  readonly from: string;
  readonly text: string;
  readonly id?: string;
}

/** ``event``: what the service's backend published to the room (any JSON). */
export interface EventMessage extends Positioned {
  readonly type: "event";
  readonly data: unknown;
}

/** What a room delivers: a chat or an event. */
export type RoomMessage = ChatMessage | EventMessage;

/** ``published``: the service's acknowledgement of a chat sent with an ``id``. */
export interface Published {
  readonly type: "published";
  readonly room: string;
  readonly id: string;
  readonly offset: number;
  readonly epoch: string;
  /** True when the message was already in the room (an earlier attempt reached it). */
  readonly duplicate: boolean;
}

/** An error frame: ``{"status": <5 digits>, "message": ...}`` and details. */
export interface ErrorFrame extends Frame {
  readonly status: number;
  readonly message: string;
}

export function isObject(value: unknown): value is Frame {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function isErrorFrame(frame: Frame): frame is ErrorFrame {
  return typeof frame.status === "number" && frame.type === undefined;
}

export function isPosition(frame: Frame): frame is Frame & StreamPosition {
  return typeof frame.offset === "number" && typeof frame.epoch === "string";
}

export function isRoomMessage(frame: Frame): frame is RoomMessage {
  if (typeof frame.room !== "string" || !isPosition(frame)) return false;
  return frame.type === "event" || (frame.type === "chat" && typeof frame.from === "string" && typeof frame.text === "string");
}

/** The frame's ``room``, when it names one. */
export function roomOf(frame: Frame): string | undefined {
  return typeof frame.room === "string" ? frame.room : undefined;
}
