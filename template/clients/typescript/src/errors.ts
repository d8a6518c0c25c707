// Engine file: `fastgen update` maintains it (see engine/__init__.py).
/** The errors the client raises: each says what happened and whether trying again can help. */

/** Base class of every error this client raises. */
export class ClientError extends Error {
  /** True when the same call may succeed later (a network error), false when it never will. */
  readonly temporary: boolean;

  constructor(message: string, options: { temporary?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.temporary = options.temporary ?? false;
  }
}

/** The service refused the token, and a fresh one from `getToken` too: the client stopped. */
export class UnauthorizedError extends ClientError {}

/** The client cannot reach the service, or the service ended the session for good. */
export class ConnectionError extends ClientError {
  /** The WebSocket close code, when a close ended it. */
  readonly code: number | undefined;
  /** The 5-digit status the service gave, when it gave one. */
  readonly status: number | undefined;

  constructor(message: string, options: { code?: number; status?: number; temporary?: boolean } = {}) {
    super(message, { temporary: options.temporary });
    this.code = options.code;
    this.status = options.status;
  }
}

/** The outbox holds as many messages (or bytes) as allowed: nothing was queued. */
export class OutboxFullError extends ClientError {}

/** A command got no answer in time. */
export class TimeoutError extends ClientError {
  /** The message id of a timed-out publish: publishing again with it is never a duplicate. */
  readonly id: string | undefined;

  constructor(message: string, id?: string) {
    super(message, { temporary: true });
    this.id = id;
  }
}

/** The service answered a command with an error frame (``{"status": ..., "message": ...}``). */
export class ServiceError extends ClientError {
  readonly status: number;
  /** The error frame as the service sent it. */
  readonly frame: Readonly<Record<string, unknown>>;

  constructor(status: number, message: string, frame: Readonly<Record<string, unknown>>) {
    super(`${status} ${message}`, { temporary: status >= 50000 });
    this.status = status;
    this.frame = frame;
  }
}

/** The client was closed, or the room left, before the command completed. */
export class ClosedError extends ClientError {}
