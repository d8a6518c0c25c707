// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/**
 * The service's WebSocket client: reconnects with backoff, resumes every room exactly once,
 * publishes exactly once, refreshes its token in-band. No dependencies; browsers and Node.
 *
 * ```ts
 * const client = new Client("wss://host/ws/chat", { getToken });
 * const room = await client.join("lobby");
 * room.on("message", (frame) => console.log(frame.from, frame.text));
 * room.on("reset", (info) => console.warn("messages lost in", info.room));
 * const ack = await room.publish("hello");
 * ```
 */

export { backoffDelay } from "./backoff.js";
export { Client, type JoinOptions } from "./client.js";
export { classifyClose, reasonStatus } from "./close.js";
export {
  ClientError,
  ClosedError,
  ConnectionError,
  OutboxFullError,
  ServiceError,
  TimeoutError,
  UnauthorizedError,
} from "./errors.js";
export type { ChatMessage, ErrorFrame, EventMessage, Frame, Published, RoomMessage, StreamPosition } from "./frames.js";
export type { ClientEvents, ClientOptions, ClientState, CloseInfo, FrameInfo, StateEvent } from "./options.js";
export { Room, type JoinedInfo, type MessageInfo, type PublishOptions, type ResetInfo, type ResetReason } from "./room.js";
export type { WebSocketConstructor } from "./transport.js";
