// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** The client's options, their defaults, and the events it emits. */

import { DEFAULT_BACKOFF } from "./backoff.js";
import type { ClientError } from "./errors.js";
import type { Frame } from "./frames.js";
import type { WebSocketConstructor } from "./transport.js";

/** Options of `new Client(url, options)`; every duration is in milliseconds. */
export interface ClientOptions {
  /** A fixed token: refused once, the client stops with UnauthorizedError. */
  token?: string;
  /**
   * Called at every connect, before a JWT expires (the session is refreshed in-band) and once
   * more after the service refuses or expires a token; a second refusal in a row stops the
   * client with UnauthorizedError. Throwing UnauthorizedError stops it too.
   */
  getToken?: () => string | Promise<string>;
  /** The ``service`` query parameter (whose tokens to check); the service's own by default. */
  service?: string;
  /** The WebSocket constructor (default: the global one, in browsers and Node ≥ 22). */
  WebSocket?: WebSocketConstructor;
  /** The first reconnect waits up to this long (default 500); each next one up to twice as long. */
  minReconnectDelay?: number;
  /** The longest wait before a reconnect (default 20 000). */
  maxReconnectDelay?: number;
  /** The ping interval until the service tells its own in ``pong`` (default 20 000). */
  heartbeat?: number;
  /** A link that brought nothing for this long is dead (default: twice the heartbeat). */
  deadAfter?: number;
  /** How long a connect, join, leave, refresh or publish attempt may wait for its answer (default 10 000). */
  timeout?: number;
  /** How long a publish may take in all, retries and reconnects included (default 60 000; 0: no limit). */
  publishTimeout?: number;
  /** Unacknowledged publishes held at most (default 1000). */
  maxOutbox?: number;
  /** Bytes of unacknowledged publishes held at most (default 1 MiB). */
  maxOutboxBytes?: number;
}

export type Settings = Required<Omit<ClientOptions, "token" | "getToken" | "service" | "WebSocket" | "deadAfter">> & {
  deadAfter: number | undefined;
};

export const DEFAULTS: Settings = {
  ...DEFAULT_BACKOFF,
  heartbeat: 20_000,
  deadAfter: undefined,
  timeout: 10_000,
  publishTimeout: 60_000,
  maxOutbox: 1000,
  maxOutboxBytes: 1 << 20,
};

/** The options with their defaults; throws TypeError for a value that cannot work. */
export function settingsOf(options: ClientOptions): Settings {
  const settings: Settings = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof Settings)[]) {
    const value = options[key];
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
      throw new TypeError(`option ${key} must be a number ≥ 0, got ${String(value)}`);
    }
    settings[key] = value;
  }
  if (settings.minReconnectDelay > settings.maxReconnectDelay) {
    throw new TypeError("minReconnectDelay is larger than maxReconnectDelay");
  }
  return settings;
}

/** The client's connection states. */
export type ClientState = "disconnected" | "connecting" | "connected";

/** A ``state`` event: the new state, and why. */
export interface StateEvent {
  state: ClientState;
  previous: ClientState;
  /** While connecting again: how long the client waits before it tries (ms). */
  delay?: number;
  /** What ended the last connection, when one ended. */
  close?: CloseInfo;
  /** The error that stopped the client (state "disconnected"). */
  error?: ClientError;
}

/** How a connection ended: the close code and reason (1006 when the link died). */
export interface CloseInfo {
  code: number;
  reason: string;
  wasClean: boolean;
  /** The service's 5-digit status, when it gave one. */
  status?: number;
}

/** About a frame: whether it is the client's own (a heartbeat ping or its pong), and its text. */
export interface FrameInfo {
  internal: boolean;
  text: string;
}

export interface ClientEvents {
  state: [event: StateEvent];
  /** The client stopped for good (it also goes to state "disconnected"). */
  error: [error: ClientError];
  /** Every frame received, decoded (a frame that is not JSON comes as its text). */
  frame: [frame: Frame | string, info: FrameInfo];
  /** Every frame sent, encoded. */
  sent: [text: string, info: FrameInfo];
  close: [info: CloseInfo];
}
