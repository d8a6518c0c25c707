"""Accepted WebSocket connections: how handlers talk to a client, and the registry of them all."""

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager, suppress
from typing import Any

from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected, WebSocketState

from .auth import User
from .close_codes import TRY_AGAIN_LATER, checked_close_code

logger = logging.getLogger(__name__)

DEFAULT_SEND_QUEUE_SIZE = 1024
# A peer that stopped reading takes neither the queued frames nor the close frame:
# closing waits this long for them, then gives up on the peer.
CLOSE_TIMEOUT_SECONDS = 2.0


def encode_frame(frame: Mapping[str, Any]) -> str:
    """Serialise one outgoing JSON frame (compact, UTF-8 text kept as is)."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


class ClientConnection:
    """One authenticated client socket, as handlers see it.

    Outgoing frames go through a bounded queue that a sender task of this connection
    drains, so ``send_json`` never waits for the client: one slow client cannot hold up
    a handler or a room broadcast. A client that falls `send_queue_size` frames behind
    is closed with 1013 (try again later) and its session ends.
    """

    __slots__ = (
        "_dropped",
        "_finished",
        "_queue",
        "_sender",
        "_session",
        "token",
        "user",
        "websocket",
    )

    def __init__(
        self,
        websocket: WebSocket,
        user: User,
        token: str | None,
        *,
        send_queue_size: int = DEFAULT_SEND_QUEUE_SIZE,
    ) -> None:
        self.websocket = websocket
        self.user = user
        self.token = token
        self._queue: asyncio.Queue[str] = asyncio.Queue(send_queue_size)
        self._sender: asyncio.Task[None] | None = None
        self._session: asyncio.Task[Any] | None = None
        self._dropped = False
        self._finished = False

    @property
    def is_open(self) -> bool:
        """True until either side has closed the socket."""
        return (
            self.websocket.client_state is WebSocketState.CONNECTED
            and self.websocket.application_state is WebSocketState.CONNECTED
        )

    @property
    def dropped(self) -> bool:
        """True once the client fell too far behind and was cut off."""
        return self._dropped

    def deliver(self, text: str) -> None:
        """Queue one encoded frame for the client without waiting; the broker's fan-out entry."""
        if self._finished or self._dropped:
            return
        try:
            self._queue.put_nowait(text)
        except asyncio.QueueFull:
            self._drop()

    async def send_json(self, frame: Mapping[str, Any]) -> None:
        """Queue one JSON frame for the client (never waits for the client to read)."""
        self.deliver(encode_frame(frame))

    async def send_error(self, status: int, message: str, **details: Any) -> None:
        """Send an error frame ``{"status": ..., "message": ..., **details}``."""
        await self.send_json({"status": status, "message": message, **details})

    async def close(self, code: int, reason: str = "") -> None:
        """Send the frames already queued, then close with a valid close code (see `close_codes`).

        A no-op once closed. Bounded: a peer that does not read is given up on after
        `CLOSE_TIMEOUT_SECONDS`.
        """
        checked_close_code(code)
        if self._sender is not None and not self._sender.done() and not self._dropped:
            # The error frame that explains a close must reach the client before the close.
            with suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                    await self._queue.join()
        await self._close_socket(code, reason)

    @asynccontextmanager
    async def sending(self) -> AsyncIterator[None]:
        """Run this connection's sender task for the duration of the block (one session).

        When the client falls too far behind, the block is cancelled from `deliver`, and
        the socket is closed with 1013 once the block has ended.
        """
        session = asyncio.current_task()
        self._session = session
        self._sender = asyncio.create_task(self._send_queued())
        try:
            yield
        except asyncio.CancelledError:
            # Only the cancellation `_drop` asked for ends here; any other propagates.
            if not (self._dropped and session is not None and session.uncancel() == 0):
                raise
        finally:
            self._session = None
            self._finished = True
            self._sender.cancel()
            with suppress(asyncio.CancelledError):
                await self._sender
        if self._dropped:
            await self._close_socket(TRY_AGAIN_LATER, "client too slow: send queue full")

    def _drop(self) -> None:
        """Cut off a client whose send queue is full: stop sending and end its session."""
        self._dropped = True
        logger.warning(
            "closing the connection of user %s: %d frames behind",
            self.user.id,
            self._queue.maxsize,
        )
        if self._sender is not None:
            self._sender.cancel()
        if self._session is not None:
            self._session.cancel()

    async def _send_queued(self) -> None:
        """The sender task: write queued frames in order until cancelled or disconnected."""
        queue = self._queue
        send_text = self.websocket.send_text
        try:
            while True:
                text = await queue.get()
                try:
                    await send_text(text)
                finally:
                    queue.task_done()
        except (WebSocketDisconnect, WebSocketDisconnected):
            return  # the client is gone; the receive loop sees the disconnect too
        finally:
            # Whatever is left will never be sent: release anyone waiting in `close`.
            while not queue.empty():
                queue.get_nowait()
                queue.task_done()

    def cancel_session(self) -> None:
        """Cancel the task serving this connection (at shutdown, a handler may be blocked)."""
        session = self._session
        if session is not None and session is not asyncio.current_task():
            session.cancel()

    async def _close_socket(self, code: int, reason: str) -> None:
        if self.is_open:
            with suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                    await self.websocket.close(code=code, reason=reason)


class ConnectionRegistry:
    """The open connections of this process, so shutdown can close them all."""

    def __init__(self) -> None:
        self._connections: set[ClientConnection] = set()

    def __len__(self) -> int:
        return len(self._connections)

    @contextmanager
    def track(self, connection: ClientConnection) -> Iterator[ClientConnection]:
        """Register `connection` for the duration of the ``with`` block."""
        self._connections.add(connection)
        try:
            yield connection
        finally:
            self._connections.discard(connection)

    async def close_all(self, code: int, reason: str = "") -> None:
        """Close every open connection with `code`, then cancel the tasks still serving them.

        Connections close concurrently (each close is bounded), a failing one does not stop
        the rest, and a handler blocked on something other than ``receive`` is cancelled
        instead of keeping the process alive.
        """
        connections = list(self._connections)
        results = await asyncio.gather(
            *(connection.close(code, reason) for connection in connections),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, Exception):  # a client that vanished mid-close
                logger.warning("could not close a connection cleanly", exc_info=result)
        for connection in connections:
            connection.cancel_session()
