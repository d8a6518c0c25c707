"""`Client`: one connection to the service that keeps every promise across reconnects."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from types import TracebackType

from websockets.exceptions import InvalidStatus, InvalidURI, WebSocketException

from .backoff import Backoff
from .closes import Verdict, close_status, handshake_verdict, verdict
from .errors import (
    ClientClosedError,
    ClientError,
    CommandTimeoutError,
    InvalidURLError,
    RefusedError,
    Unauthorized,
    UnreachableError,
)
from .frames import Published
from .link import checked_url, open_link
from .outbox import Outbox, Pending
from .room import Room
from .session import Session
from .shared import Settings, Shared
from .state import State

StateCallback = Callable[[State], None]


class Client:
    """A connection to the service's chat endpoint that reconnects, resumes and retries.

    Args:
        url: the chat endpoint, e.g. ``ws://host:8000/ws/chat``.
        token: the token to connect with (a JWT is refreshed only with `get_token`).
        get_token: an async callable returning a token: called to connect, before a JWT
            expires (refreshed in-band), and once more when the service refuses one.
        backoff: reconnect delays (full jitter, 0.5 s to 20 s by default).
        heartbeat: seconds between pings until the service says its own interval.
        dead_after: seconds without any frame after which the link is dropped and
            reconnected (default: twice the heartbeat).
        timeout: seconds a command (join, leave, refresh, the first answer) may take.
        publish_timeout: seconds a publish may wait for its acknowledgement, offline
            time included.
        connect_timeout: seconds one connection attempt (the handshake) may take.
        outbox_messages: most publishes waiting for their acknowledgement at once.
        outbox_bytes: most bytes of text those may hold.
        max_in_flight: most publishes sent and not yet answered.
        refresh_margin: refresh a JWT this many seconds before it expires.
    """

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        get_token: Callable[[], Awaitable[str]] | None = None,
        backoff: Backoff | None = None,
        heartbeat: float = 20.0,
        dead_after: float | None = None,
        timeout: float = 10.0,
        publish_timeout: float = 60.0,
        connect_timeout: float = 10.0,
        outbox_messages: int = 1000,
        outbox_bytes: int = 1 << 20,
        max_in_flight: int = 64,
        refresh_margin: float = 30.0,
    ) -> None:
        self.url = checked_url(url)
        self._get_token = get_token
        settings = Settings(
            backoff=backoff or Backoff(),
            heartbeat=heartbeat,
            dead_after=dead_after,
            timeout=timeout,
            publish_timeout=publish_timeout,
            connect_timeout=connect_timeout,
            max_in_flight=max_in_flight,
            refresh_margin=refresh_margin,
        )
        self._shared = Shared(settings, Outbox(outbox_messages, outbox_bytes), token=token)
        self._state = State.DISCONNECTED
        self._listeners: list[StateCallback] = []
        self._session: Session | None = None
        self._runner: asyncio.Task[None] | None = None
        self._first: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self._sessions = 0
        #: Sessions established after the first one.
        self.reconnects = 0

    # State.

    @property
    def state(self) -> State:
        """The connection state now."""
        return self._state

    @property
    def heartbeat(self) -> float:
        """Seconds between pings: the service's interval once its pong said it."""
        return self._shared.heartbeat()

    @property
    def error(self) -> BaseException | None:
        """Why the client closed, when the service refused it for good."""
        return self._error

    def on_state(self, callback: StateCallback) -> Callable[[], None]:
        """Call `callback` with each new state; returns the function that stops it."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def _set_state(self, state: State) -> None:
        # CLOSED is final: a session still winding down must not report another state.
        if state is self._state or self._state is State.CLOSED:
            return
        self._state = state
        for callback in list(self._listeners):
            callback(state)

    # Lifecycle.

    async def __aenter__(self) -> "Client":
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        """Connect and authenticate; then the client stays connected until `close`.

        Raises `UnreachableError` when the first connection cannot be made, `Unauthorized` or
        `RefusedError` when the service refuses it for good: never retries those forever.
        """
        self._check_open()
        if self._runner is None:
            self._first = asyncio.get_running_loop().create_future()
            self._runner = asyncio.create_task(self._run())
        assert self._first is not None
        await asyncio.shield(self._first)

    async def close(self) -> None:
        """Close the connection and end every room; waiting calls raise `ClientClosedError`."""
        if self._state is State.CLOSED:
            return
        self._finish(ClientClosedError("the client was closed"))
        if self._session is not None:
            with suppress(Exception):
                await asyncio.wait_for(self._session.ws.close(), self._shared.settings.timeout)
        if self._runner is not None:
            self._runner.cancel()
            with suppress(asyncio.CancelledError):
                await self._runner

    def _check_open(self) -> None:
        if self._state is State.CLOSED:
            raise ClientClosedError("the client is closed") from self._error

    def _finish(self, error: ClientError) -> None:
        """Closed for good: every waiting call and room learns why, once."""
        if self._state is State.CLOSED:
            return
        terminal = not isinstance(error, ClientClosedError)
        self._error = error if terminal else None
        shared = self._shared
        for pending in shared.outbox:
            shared.outbox.remove(pending)
            if not pending.future.done():
                pending.future.set_exception(error)
        for waiters in (shared.join_waiters, shared.leave_waiters):
            for future in waiters.values():
                if not future.done():
                    future.set_exception(error)
            waiters.clear()
        for room in shared.rooms.values():
            room.end(error if terminal else None)
        shared.rooms.clear()
        if self._first is not None and not self._first.done():
            self._first.set_exception(error)
        self._set_state(State.CLOSED)

    # The connection loop.

    async def _run(self) -> None:
        step = 0
        refusals = 0
        try:
            while True:
                self._set_state(State.CONNECTING)
                outcome, error, established = await self._attempt()
                if established:
                    step = 0
                    refusals = 0
                self._set_state(State.DISCONNECTED)
                if outcome is Verdict.STOP:
                    self._finish(error)
                    return
                if outcome is Verdict.NEW_TOKEN:
                    refusals += 1
                    if self._get_token is None or refusals >= 2:
                        self._finish(error)
                        return
                    # A fresh token at once: the refused one will not get better.
                    self._shared.token = None
                    continue
                if self._sessions == 0 and isinstance(error, UnreachableError):
                    self._finish(error)
                    return
                await asyncio.sleep(self._shared.settings.backoff.delay(step))
                step += 1
        except ClientError as exc:
            self._finish(exc)
        except Exception as exc:  # a bug must close the client, never hang its callers
            failure = ClientError(f"the client failed: {exc!r}")
            failure.__cause__ = exc
            self._finish(failure)

    async def _attempt(self) -> tuple[Verdict, ClientError, bool]:
        """One connection, from handshake to close: what to do next, and why."""
        shared = self._shared
        if shared.token is None and self._get_token is not None:
            shared.token = await self._fetch_token()
        try:
            ws = await open_link(self.url, shared.token, shared.settings.connect_timeout)
        except InvalidStatus as exc:
            code = exc.response.status_code
            return (
                handshake_verdict(code),
                RefusedError(code, f"HTTP {code} at the handshake"),
                False,
            )
        except InvalidURI as exc:
            return Verdict.STOP, InvalidURLError(str(exc)), False
        # websockets < 14 lets an EOF during the handshake out as EOFError.
        except (OSError, EOFError, TimeoutError, WebSocketException) as exc:
            return (
                Verdict.RECONNECT,
                UnreachableError(f"cannot connect to {self.url}: {exc}"),
                False,
            )
        session = Session(ws, self._sessions + 1, shared, self._get_token, self._established)
        self._session = session
        try:
            close = await session.run()
        finally:
            self._session = None
            self._disconnected()
            # The closing handshake is done or moot: never leave the socket to the GC.
            ws.transport.abort()
        if close is None:
            error: ClientError = UnreachableError(f"the connection to {self.url} was lost")
            return Verdict.RECONNECT, error, session.established
        status = close_status(close.reason, session.last_error)
        outcome = verdict(close.code, status)
        kind = Unauthorized if outcome is Verdict.NEW_TOKEN else RefusedError
        return outcome, kind(close.code, close.reason, status), session.established

    def _established(self) -> None:
        self._sessions += 1
        if self._sessions > 1:
            self.reconnects += 1
        self._shared.outbox.unsent_all()
        self._set_state(State.CONNECTED)
        if self._first is not None and not self._first.done():
            self._first.set_result(None)

    def _disconnected(self) -> None:
        for room in self._shared.rooms.values():
            room.joined.clear()
        # Leaving needs no answer once the membership is gone with the socket.
        for future in self._shared.leave_waiters.values():
            if not future.done():
                future.set_result(None)
        self._shared.leave_waiters.clear()

    async def _fetch_token(self) -> str:
        assert self._get_token is not None
        try:
            return await asyncio.wait_for(self._get_token(), self._shared.settings.timeout)
        except Exception as exc:
            raise Unauthorized(0, f"get_token failed: {exc!r}") from exc

    # Rooms and publishing.

    async def join(self, name: str, *, since: tuple[int, str] | None = None) -> Room:
        """Join room `name` and follow it through every reconnect (joined again with ``since``).

        `since` is a position ``(offset, epoch)`` your application kept (e.g. across its own
        restarts): the messages after it come first, or a `Reset` when they are gone.
        Raises `ServiceError` when the service refuses the join (40301: not allowed),
        `CommandTimeoutError` when it does not answer within `timeout`.
        """
        self._check_open()
        shared = self._shared
        room = shared.rooms.get(name)
        if room is not None and room.joined.is_set():
            return room
        if room is None:
            room = Room(name, self._publish, self._leave)
            if since is not None:
                room.offset, room.epoch = since
            shared.rooms[name] = room
        future = shared.join_waiters.get(name)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            shared.join_waiters[name] = future
        if self._session is not None and self._session.established:
            self._session.send_join(room)
        try:
            await asyncio.wait_for(asyncio.shield(future), shared.settings.timeout)
        except TimeoutError:
            shared.join_waiters.pop(name, None)
            shared.rooms.pop(name, None)
            raise CommandTimeoutError(f"join {name!r}", shared.settings.timeout) from None
        return room

    async def _leave(self, room: Room) -> None:
        shared = self._shared
        if shared.rooms.get(room.name) is not room:
            room.end()
            return
        del shared.rooms[room.name]
        for pending in shared.outbox:
            if pending.room == room.name:
                shared.outbox.remove(pending)
                if not pending.future.done():
                    pending.future.set_exception(ClientError(f"left room {room.name!r}"))
        room.end()
        session = self._session
        if session is None or not session.established:
            return
        future = asyncio.get_running_loop().create_future()
        shared.leave_waiters[room.name] = future
        await session.send({"type": "leave", "room": room.name})
        try:
            await asyncio.wait_for(future, shared.settings.timeout)
        except TimeoutError:
            raise CommandTimeoutError(f"leave {room.name!r}", shared.settings.timeout) from None

    async def _publish(self, room: Room, text: str, message_id: str | None) -> Published:
        self._check_open()
        shared = self._shared
        if shared.rooms.get(room.name) is not room:
            raise ClientError(f"room {room.name!r} was left: join it again to publish")
        pending = Pending(
            id=message_id or uuid.uuid4().hex,
            room=room.name,
            text=text,
            size=len(text.encode()),
            future=asyncio.get_running_loop().create_future(),
        )
        shared.outbox.add(pending)
        if self._session is not None:
            self._session.wake()
        timeout = shared.settings.publish_timeout
        try:
            return await asyncio.wait_for(asyncio.shield(pending.future), timeout)
        except TimeoutError:
            raise CommandTimeoutError("publish", timeout, pending.id) from None
        finally:
            shared.outbox.remove(pending)
