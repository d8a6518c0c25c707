"""One connection to the service: read and dispatch frames, send joins and publishes, watch.

A `Session` lives from the handshake to the close. Everything that must survive a
reconnect (rooms and their positions, the outbox) lives in `Shared`; a session only
marks what it sent, so the next one knows what to send again.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.frames import Close

from .backoff import Backoff
from .closes import SESSION_ENDING
from .errors import ServiceError
from .frames import (
    FORBIDDEN_40301,
    RATE_LIMITED_42901,
    RETRIED_STATUSES,
    Frame,
    Published,
)
from .room import Room
from .shared import Shared
from .token import expires_at, refresh_delay

# Retries after a rate limit or a busy broker: quick at first, never hammering.
RETRY_BACKOFF = Backoff(min=0.05, max=5.0)
TokenSource = Callable[[], Awaitable[str]]


class Session:
    """One open socket; `run` returns when it closes, with what the service said (if any)."""

    def __init__(
        self,
        ws: ClientConnection,
        number: int,
        shared: Shared,
        get_token: TokenSource | None,
        on_established: Callable[[], None],
    ) -> None:
        self.ws = ws
        self.number = number
        self.shared = shared
        self.get_token = get_token
        self.on_established = on_established
        self.established = False
        self.last_error: int | None = None
        # Frames received: the watch reads it (a counter costs less than a clock per frame).
        self.received = 0
        self.refresh_waiter: asyncio.Future[float | None] | None = None
        # Rooms whose join went out on this session: since given?, when sent.
        self.join_sent: dict[str, tuple[bool, float]] = {}
        self._pause_until = 0.0
        self._retry_step = 0
        self._woken = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self) -> Close | None:
        """Serve until the socket closes; the service's close frame, None for a lost link."""
        tasks = self._tasks
        tasks += [asyncio.create_task(self._watch()), asyncio.create_task(self._pump())]
        try:
            # A refused session is closed at once: its error frame is still read below.
            with suppress(ConnectionClosed):
                await self.send({"type": "ping"})
            recv, loads, dispatch = self.ws.recv, json.loads, self._dispatch
            while True:
                raw = await recv()
                self.received += 1
                try:
                    frame = loads(raw)
                except ValueError:
                    continue
                if type(frame) is dict:
                    dispatch(frame)
        except ConnectionClosed as exc:
            return exc.rcvd
        finally:
            for task in tasks:
                task.cancel()
            # The watchers end with the socket; what they raised ends with them.
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.refresh_waiter and not self.refresh_waiter.done():
                self.refresh_waiter.cancel()

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one JSON frame."""
        await self.ws.send(json.dumps(frame, ensure_ascii=False))

    def wake(self) -> None:
        """Something to send: a join, a publish."""
        self._woken.set()

    def send_join(self, room: Room) -> None:
        """Queue the join of `room` (with ``since`` when it has a position)."""
        self.join_sent.pop(room.name, None)
        room.joined.clear()
        self.wake()

    # Receiving.

    def _dispatch(self, frame: Frame) -> None:
        kind = frame.get("type")
        rooms = self.shared.rooms
        room = rooms.get(frame.get("room", ""))
        if kind in ("chat", "event"):
            if room is not None:
                room.on_message(frame)
        elif kind == "joined":
            if room is not None:
                resumed = self.join_sent.get(room.name, (False, 0.0))[0]
                room.on_joined(frame, resumed)
                self._resolve(self.shared.join_waiters, room.name)
                self.wake()
        elif kind == "reset":
            if room is not None:
                room.on_reset(frame)
        elif kind == "published":
            self._published(frame)
        elif kind == "left":
            self._left(frame)
        elif kind == "pong":
            self._pong(frame)
        elif kind == "refreshed":
            if self.refresh_waiter and not self.refresh_waiter.done():
                expiry = frame.get("expires_at")
                self.refresh_waiter.set_result(expiry if isinstance(expiry, int | float) else None)
        elif isinstance(frame.get("status"), int):
            self._error(frame)

    def _pong(self, frame: Frame) -> None:
        heartbeat = frame.get("heartbeat")
        if isinstance(heartbeat, int | float) and not isinstance(heartbeat, bool) and heartbeat > 0:
            self.shared.service_heartbeat = float(heartbeat)
        if not self.established:
            self.established = True
            self.on_established()
            self._rejoin_all()
            self._tasks.append(asyncio.create_task(self._refresh_loop()))

    def _rejoin_all(self) -> None:
        for room in self.shared.rooms.values():
            self.send_join(room)

    def _published(self, frame: Frame) -> None:
        pending = self.shared.outbox.get(str(frame.get("id")))
        if pending is None:
            return
        self.shared.outbox.remove(pending)
        self._retry_step = 0
        self.wake()  # room in the window
        if not pending.future.done():
            pending.future.set_result(
                Published(
                    id=pending.id,
                    room=pending.room,
                    offset=frame["offset"],
                    epoch=frame["epoch"],
                    duplicate=bool(frame.get("duplicate")),
                )
            )

    def _left(self, frame: Frame) -> None:
        name = str(frame.get("room"))
        self._resolve(self.shared.leave_waiters, name)
        if frame.get("reason") == "forbidden":
            room = self.shared.rooms.pop(name, None)
            if room is not None:
                room.end(ServiceError(FORBIDDEN_40301, f"no longer allowed in room {name!r}"))

    def _error(self, frame: Frame) -> None:
        status: int = frame["status"]
        error = ServiceError(status, str(frame.get("message", "")), frame)
        message_id = frame.get("id")
        pending = self.shared.outbox.get(message_id) if isinstance(message_id, str) else None
        if status == RATE_LIMITED_42901:
            self._pause()
        if pending is not None:
            if status in RETRIED_STATUSES:
                self.shared.outbox.retry(pending, RETRY_BACKOFF.delay(self._retry_step))
                self.wake()
            else:
                self.shared.outbox.remove(pending)
                if not pending.future.done():
                    pending.future.set_exception(error)
            return
        if status in SESSION_ENDING:
            self.last_error = status
        name = frame.get("room")
        room = self.shared.rooms.get(name) if isinstance(name, str) else None
        if (
            room is not None
            and status == FORBIDDEN_40301
            and room.name in self.join_sent
            and not room.joined.is_set()
        ):
            # A join the token's rights refuse (a first one, or a rejoin after a refresh
            # narrowed them): the room ends, asking again would be refused again.
            del self.shared.rooms[room.name]
            room.end(error)
            self._fail(self.shared.join_waiters, room.name, error)
        elif (
            self.refresh_waiter
            and not self.refresh_waiter.done()
            and "room" not in frame
            and status != RATE_LIMITED_42901
        ):
            self.refresh_waiter.set_exception(error)

    def _pause(self) -> None:
        """Over the rate limit: send nothing for a while (longer each time in a row)."""
        self._pause_until = time.monotonic() + RETRY_BACKOFF.delay(self._retry_step)
        self._retry_step += 1

    @staticmethod
    def _resolve(waiters: dict[str, asyncio.Future[None]], name: str) -> None:
        future = waiters.pop(name, None)
        if future is not None and not future.done():
            future.set_result(None)

    @staticmethod
    def _fail(waiters: dict[str, asyncio.Future[None]], name: str, error: Exception) -> None:
        future = waiters.pop(name, None)
        if future is not None and not future.done():
            future.set_exception(error)

    # Sending.

    async def _pump(self) -> None:
        """Send joins, then publishes (after their room's join), within the window."""
        settings = self.shared.settings
        while True:
            self._woken.clear()
            now = time.monotonic()
            wake_at = now + settings.timeout / 4
            if self.established and now >= self._pause_until:
                wake_at = min(wake_at, await self._send_joins(now))
                wake_at = min(wake_at, await self._send_publishes(now))
            elif self.established:
                wake_at = self._pause_until
            with suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), max(0.0, wake_at - time.monotonic()))

    async def _send_joins(self, now: float) -> float:
        timeout = self.shared.settings.timeout
        wake_at = now + timeout
        for room in list(self.shared.rooms.values()):
            if room.joined.is_set():
                continue
            sent = self.join_sent.get(room.name)
            # Unanswered (a rate limit, a busy broker): asked again after the timeout.
            if sent is not None and now - sent[1] < timeout:
                wake_at = min(wake_at, sent[1] + timeout)
                continue
            since = room.since()
            frame: dict[str, Any] = {"type": "join", "room": room.name}
            if since is not None:
                frame["since"] = since
            self.join_sent[room.name] = (since is not None, now)
            await self.send(frame)
        return wake_at

    async def _send_publishes(self, now: float) -> float:
        settings = self.shared.settings
        wake_at = now + settings.timeout
        in_flight = 0
        for pending in self.shared.outbox:
            # No answer on this session within the timeout: sent again, same id.
            sent = pending.sent
            if sent is not None and sent[0] == self.number and now - sent[1] < settings.timeout:
                in_flight += 1
                wake_at = min(wake_at, sent[1] + settings.timeout)
                continue
            if in_flight >= settings.max_in_flight:
                break
            room = self.shared.rooms.get(pending.room)
            if room is None or not room.joined.is_set():
                continue
            if pending.not_before > now:
                wake_at = min(wake_at, pending.not_before)
                continue
            pending.sent = (self.number, now)
            in_flight += 1
            await self.send(
                {"type": "chat", "room": pending.room, "text": pending.text, "id": pending.id}
            )
        return wake_at

    async def _watch(self) -> None:
        """Ping every `ping_interval`; abort the link when nothing arrived for `dead_after`."""
        started = last_ping = quiet_since = time.monotonic()
        seen = self.received
        while True:
            dead_after = self.shared.dead_after()
            interval = self.shared.ping_interval()
            await asyncio.sleep(min(interval, self.shared.settings.timeout) / 4)
            now = time.monotonic()
            if not self.established and now - started > self.shared.settings.timeout:
                # No answer to the first ping within the command timeout: try again.
                self.ws.transport.abort()
                return
            if self.received != seen:
                seen, quiet_since = self.received, now
            elif now - quiet_since > dead_after:
                # Nothing (not even our pongs) for too long: the OS may never notice.
                self.ws.transport.abort()
                return
            if self.established and now - last_ping >= interval:
                last_ping = now
                await self.send({"type": "ping"})

    async def _refresh_loop(self) -> None:
        """Refresh a JWT in-band before it expires, with a token from `get_token`."""
        while self.get_token is not None and self.shared.token is not None:
            expiry = expires_at(self.shared.token)
            if expiry is None:
                return
            await asyncio.sleep(refresh_delay(expiry, self.shared.settings.refresh_margin))
            token = await self.get_token()
            self.refresh_waiter = asyncio.get_running_loop().create_future()
            await self.send({"type": "refresh", "token": token})
            try:
                await asyncio.wait_for(self.refresh_waiter, self.shared.settings.timeout)
            except (ServiceError, TimeoutError):
                # Kept the old token: try again, until the service ends the session.
                left = expiry - time.time()
                if left <= 1:
                    return
                await asyncio.sleep(left / 2)
                continue
            self.shared.token = token
