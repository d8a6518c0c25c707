# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The write path of a connection: frames out to one client, in order, without a task per frame.

Two ways out, one order. A reply sent from the connection's own session (a handler
answering its client, or a task that handler started) is written at once when nothing is
queued ahead of it: no buffer, no task switch. It waits only when the client's TCP window
is full, which holds up that client's own session and nobody else. Every other frame (room
fan-out, the broker, other tasks) goes through a bounded buffer, so `deliver` never waits
for the client: one slow client cannot hold up a broadcast. A callback scheduled once per
turn of the event loop writes the buffer while the client's TCP window has room; under
`python -m <package>` that is all of a client's queued frames in one system call
(`write_text_frames`, see protocols.py). A write that has to wait is finished by a sender
task, started the first time one does, so a client that keeps up costs no task.
"""

import asyncio
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Coroutine, Generator, Iterable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.types import Message
from starlette.websockets import WebSocketDisconnected, WebSocketState

from .protocols import TEXT_FRAMES_EXTENSION

if TYPE_CHECKING:
    from .connection import ClientConnection

logger = logging.getLogger(__name__)

DEFAULT_SEND_QUEUE_SIZE = 1024
# A write to a client that is gone: Starlette's exceptions from its `WebSocket.send`, or the
# ASGI server's `OSError` (uvicorn's `ClientDisconnected`) from the `send` under it or from
# the protocol's `write_text_frames`.
SEND_FAILED = (WebSocketDisconnect, WebSocketDisconnected, OSError)

# The ASGI ``send``: a coroutine function in every ASGI server and in Starlette's wrappers.
AsgiSend = Callable[[Message], Coroutine[Any, Any, None]]
# `write_text_frames` of the service's own uvicorn protocol (see protocols.py): writes text
# frames at once while the client keeps up, returns how many it wrote.
TextFrameWriter = Callable[[Iterable[str]], int]


def text_frame_writer(websocket: WebSocket) -> TextFrameWriter | None:
    """The server's `write_text_frames` for `websocket`, or None where it has none.

    Offered by `python -m <package>`'s protocol class; not by other servers (or the
    TestClient), where frames go through the ASGI ``send`` alone.
    """
    scope = getattr(websocket, "scope", None)  # test doubles may have none
    extensions = scope.get("extensions") if scope else None
    offered = extensions.get(TEXT_FRAMES_EXTENSION) if extensions else None
    return offered.get("write_text_frames") if offered else None


# The connection whose session runs in this context (its task, and tasks that task
# started). Cheaper per reply than comparing `asyncio.current_task()` on Python 3.11.
serving: ContextVar["ClientConnection | None"] = ContextVar("serving_connection", default=None)


class SuspendedWrite:
    """Writes started outside any task that have to wait: awaiting this finishes them.

    `ClientConnection` runs the coroutine that writes its queue itself, up to its first
    suspension (there is none while the client's TCP window has room: the frames are
    written at once, with no task switch). When it does suspend, the sender task awaits
    this: it hands the task what the coroutine waits on and passes back what the task sends
    or throws (a cancellation), as ``yield from`` would.
    """

    __slots__ = ("_coroutine", "_waiting_on")

    def __init__(self, coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        self._coroutine = coroutine
        self._waiting_on = waiting_on

    # Returns None; spelled Any because `Generator[Any, Any, None]` is the Python 3.13 default
    # that ruff's UP043 asks projects targeting 3.13 to drop, and 3.11 needs all three.
    def __await__(self) -> Generator[Any, Any, Any]:
        """Resume the writes where they stopped; return when the queue is written."""
        coroutine, waiting_on = self._coroutine, self._waiting_on
        resume: Callable[[Any], Any]
        while True:
            try:
                value = yield waiting_on
                resume = coroutine.send
            except BaseException as exc:  # e.g. the sender task is cancelled: so is the write
                resume, value = coroutine.throw, exc
            try:
                waiting_on = resume(value)
            except StopIteration:
                return

    def close(self) -> None:
        """Abandon the writes (the sender task was cancelled before it could finish them)."""
        self._coroutine.close()


class Outbox(ABC):
    """The frames on their way to one client: a bounded queue and the writes that empty it.

    `ClientConnection` is the outbox handlers see; this class holds no session state but
    `_active` (replies may be written directly) and `_finished`/`_close_with` (nothing more
    is sent).
    """

    __slots__ = (
        "_active",
        "_close_with",
        "_drained",
        "_dropped",
        "_finished",
        "_flush_due",
        "_in_flight",
        "_loop",
        "_max_pending",
        "_pending",
        "_send",
        "_sender",
        "_wakeup",
        "_write_frames",
        "_writing",
        "websocket",
    )

    def __init__(self, websocket: WebSocket, send_queue_size: int) -> None:
        self.websocket = websocket
        # The ASGI `send` under Starlette's `WebSocket.send`, which Starlette keeps as
        # `_send` (a test double without one is written to through its own `send`): the
        # wrapper only repeats checks made here, and was a large share of a fan-out's CPU.
        self._send: AsgiSend = getattr(websocket, "_send", websocket.send)
        # The faster way out, where the server offers it: no ASGI message and no coroutine
        # per frame, and the frames queued for one client in a single system call. The
        # ASGI send still writes whatever it does not take (a client that is behind).
        self._write_frames = text_frame_writer(websocket)
        # Frames not yet sent; the first one may be on its way (removed once written).
        # Made with the first buffered frame: most connections only ever get direct replies.
        self._pending: deque[str] | None = None
        self._max_pending = send_queue_size
        self._sender: asyncio.Task[None] | None = None
        # Set while the sender waits for frames / while `close` waits for the buffer to empty.
        self._wakeup: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._active = False
        self._dropped = False
        self._finished = False
        # True while the session task writes a frame itself: the sender must not write too.
        self._writing = False
        # The writes `_write_pending` started that have to wait for the client: the sender
        # task finishes them (with the frames queued meanwhile).
        self._in_flight: SuspendedWrite | None = None
        # True while a `_flush` is scheduled; the session's loop, once it has started.
        self._flush_due = False
        self._loop: asyncio.AbstractEventLoop | None = None
        # Why the session was ended from outside (slow client, expired token): the close.
        self._close_with: tuple[int, str] | None = None

    @abstractmethod
    def _drop(self) -> None:
        """Cut off a client that fell `send_queue_size` frames behind."""

    def deliver(self, text: str) -> None:
        """Queue one encoded frame for the client without waiting; the broker's fan-out entry.

        The queue is written by one callback per connection per turn of the event loop
        (`_flush`), which writes the frames itself while the client's TCP window has room,
        in order and each at once: a task switch per frame (the sender task) cost more than
        the write in a Redis room fan-out, where frames arrive one at a time. Only a write
        that has to wait for the client goes to the sender task.
        """
        if self._finished or self._close_with is not None:
            return
        pending = self._pending
        if pending is None:
            pending = self._pending = deque()
        elif len(pending) >= self._max_pending:
            self._drop()
            return
        pending.append(text)
        self._schedule_flush()

    async def send_text(self, text: str) -> None:
        """Send one already-encoded JSON frame, after every frame queued before it.

        From this connection's own session, with nothing queued, the frame is written
        directly (the fast path of every reply); otherwise it is queued like `deliver`.
        """
        if (
            self._pending
            or self._writing
            or self._in_flight is not None
            or not self._active
            or serving.get() is not self
        ):
            self.deliver(text)
            return
        if not self._write_ready():
            return  # closed by the service: nothing more is written
        write_frames = self._write_frames
        if write_frames is not None:
            try:
                if write_frames((text,)):
                    return
            except SEND_FAILED:
                self._send_failed()  # the client is gone; the receive loop sees it too
                return
        self._writing = True
        try:
            await self._send({"type": "websocket.send", "text": text})
        except SEND_FAILED:
            self._send_failed()  # the client is gone; the receive loop sees the disconnect too
        finally:
            self._writing = False
            if self._pending and not self._dropped:
                self._schedule_flush()  # frames queued by others while this write waited

    def _wake_sender(self) -> None:
        """Have the sender task write the buffer, starting it with the first frame."""
        if self._wakeup is not None:
            if not self._wakeup.done():
                self._wakeup.set_result(None)
        elif self._sender is None and self._active:
            self._sender = asyncio.create_task(self._send_pending())

    def _schedule_flush(self) -> None:
        """Have `_flush` run soon, once however many frames are queued meanwhile.

        Not while a write is under way (its end writes the rest), nor before the session
        has started (its start does).
        """
        if not self._flush_due and self._in_flight is None and not self._writing:
            loop = self._loop
            if loop is not None:
                self._flush_due = True
                loop.call_soon(self._flush)

    def _flush(self) -> None:
        """Write the queued frames (the callback `deliver` schedules)."""
        self._flush_due = False
        if not self._finished and self._close_with is None:
            self._write_pending()

    def _write_pending(self) -> None:
        """Write the queued frames now, in order, until one has to wait for the client.

        The server's `write_text_frames` takes what it can at once. `_write_queue` runs here
        for the rest (all of it, where the server offers no such writer) up to its first
        suspension: none while the client's TCP window has room, so no task is involved.
        When it does suspend, the sender task finishes it. A no-op while another write is
        under way.
        """
        pending = self._pending
        if not pending or self._in_flight is not None or self._writing:
            if not pending and self._in_flight is None:
                self._resolve_drained()
            return
        try:
            write_frames = self._write_frames
            if write_frames is not None and self._write_ready():
                written = write_frames(pending)
                if written == len(pending):
                    pending.clear()
                    self._resolve_drained()  # all written
                    return
                for _ in range(written):
                    pending.popleft()
            write = self._write_queue()
            try:
                waiting_on = write.send(None)
            except StopIteration:
                self._resolve_drained()  # all written
                return
        except SEND_FAILED:
            self._send_failed()  # the client is gone; the receive loop sees it too
        except Exception:
            # Never into the fan-out: the room's other members must still get the frame.
            logger.exception("could not write to %r", self)
            self._send_failed()
        else:
            self._in_flight = SuspendedWrite(write, waiting_on)
            self._wake_sender()
            return
        pending.clear()
        self._resolve_drained()

    async def _write_queue(self) -> None:
        """Write queued frames in order until none is left (frames queued meanwhile too).

        A frame leaves the queue once written, so the one being written counts against
        `send_queue_size`.
        """
        pending = self._pending
        assert pending is not None  # only run for queued frames
        send = self._send
        while pending:
            if not self._write_ready():
                pending.clear()  # closed by the service: nothing more is written
                return
            await send({"type": "websocket.send", "text": pending[0]})
            pending.popleft()

    async def _send_pending(self) -> None:
        """The sender task: finish writes that had to wait, then go on with the queue.

        Runs until cancelled or disconnected; it exists only for connections that had to
        wait for their client once, or whose `close` waited for their queue.
        """
        loop = asyncio.get_running_loop()
        try:
            while True:
                in_flight = self._in_flight
                if in_flight is not None:
                    await in_flight
                    self._in_flight = None
                # A direct write under way goes first; its end schedules a flush.
                self._write_pending()
                if self._in_flight is None:
                    self._wakeup = loop.create_future()
                    try:
                        await self._wakeup
                    finally:
                        self._wakeup = None
        except SEND_FAILED:
            self._send_failed()  # the client is gone; the receive loop sees the disconnect too
        finally:
            # Whatever is left will never be sent: release `close` if it waits.
            if self._in_flight is not None:
                self._in_flight.close()
                self._in_flight = None
            if self._pending:
                self._pending.clear()
            self._resolve_drained()

    def _write_ready(self) -> bool:
        """True while the service may write frames (Starlette's check in `WebSocket.send`)."""
        return self.websocket.application_state is WebSocketState.CONNECTED

    def _send_failed(self) -> None:
        """Mark the socket as Starlette's `WebSocket.send` does when a write fails."""
        self.websocket.application_state = WebSocketState.DISCONNECTED

    def _resolve_drained(self) -> None:
        if self._drained is not None:
            if not self._drained.done():
                self._drained.set_result(None)
            self._drained = None
