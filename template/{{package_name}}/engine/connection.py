# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""An accepted, authenticated client socket: what handlers send through, and its session."""

import asyncio
import logging
import time
from collections.abc import Mapping
from contextlib import suppress
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketState

from ..auth import User
from ..auth.errors import TOKEN_EXPIRED
from . import metrics
from .close_codes import checked_close_code
from .codec import encode_frame
from .outbox import DEFAULT_SEND_QUEUE_SIZE, SEND_FAILED, Outbox, serving
from .refusals import close_of, error_frame, refusal
from .status_codes import CLIENT_TOO_SLOW_50302, TOKEN_EXPIRED_40101

logger = logging.getLogger(__name__)

# A peer that stopped reading takes neither the queued frames nor the close frame:
# closing waits this long for them, then gives up on the peer.
CLOSE_TIMEOUT_SECONDS = 2.0

# The string "id" of the message being handled in this context: every error frame that
# answers it carries it, so a client can tell which of its publishes failed.
answering: ContextVar[str | None] = ContextVar("answering_id", default=None)

__all__ = ["CLOSE_TIMEOUT_SECONDS", "DEFAULT_SEND_QUEUE_SIZE", "ClientConnection", "encode_frame"]


class ClientConnection(Outbox):
    """One authenticated client socket, as handlers see it.

    Replies and room frames go out in order through the outbox (outbox.py). A client that
    falls `send_queue_size` frames behind gets a 50302 error frame and is closed with 1013
    (try again later): its session ends, even while it is stuck in a write of its own. A
    session whose user's token expires (JWT ``exp``) is ended the same way, with 40101 and
    1008, unless `reauthenticate` moved it to a newer token first.
    """

    __slots__ = ("_expiry", "_farewell", "_serving", "_session", "token", "user")

    def __init__(
        self,
        websocket: WebSocket,
        user: User,
        token: str | None,
        *,
        send_queue_size: int = DEFAULT_SEND_QUEUE_SIZE,
    ) -> None:
        super().__init__(websocket, send_queue_size)
        self.user = user
        self.token = token
        self._session: asyncio.Task[Any] | None = None
        self._serving: Token[ClientConnection | None] | None = None
        # Ends the session when the user's token expires (None: it never does).
        self._expiry: asyncio.TimerHandle | None = None
        # The error frame that goes out before the close `_end` asked for.
        self._farewell: str | None = None

    def __repr__(self) -> str:
        return f"<ClientConnection of user {self.user.id}>"

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

    async def send_json(self, frame: Mapping[str, Any]) -> None:
        """Send one JSON frame to the client (see `send_text`)."""
        await self.send_text(encode_frame(frame))

    async def send_error(self, status: int, message: str, **details: Any) -> None:
        """Send an error frame ``{"status": ..., "message": ..., **details}``.

        In answer to a message with a string ``"id"``, the frame carries that ``id`` too.
        """
        metrics.error_frame(status)
        frame = error_frame(status, message, **details)
        if "id" not in frame and (message_id := answering.get()) is not None:
            frame["id"] = message_id
        await self.send_json(frame)

    async def refuse(self, status: int, text: str, message: str | None = None) -> None:
        """End the session with a refusal: its error frame, then its close (see `refusals`).

        `text` goes into the close reason after the status; `message` (default: `text`)
        into the frame, with the ``id`` of the message being answered, if any.
        """
        await self.send_error(status, text if message is None else message)
        await self.close(*close_of(status, text))

    async def close(self, code: int, reason: str = "") -> None:
        """Send the frames already queued, then close with a valid close code (see `close_codes`).

        A no-op once closed. Bounded: a peer that does not read is given up on after
        `CLOSE_TIMEOUT_SECONDS`.
        """
        checked_close_code(code)
        if self._active and self._close_with is None and not self._dropped:
            self._write_pending()  # frames waiting for their flush go now
            if self._pending or self._in_flight is not None:
                # The error frame that explains a close must reach the client before the close.
                self._drained = asyncio.get_running_loop().create_future()
                self._wake_sender()
                with suppress(TimeoutError):
                    async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                        await self._drained
        await self._close_socket(code, reason)

    def sending(self) -> "ClientConnection":
        """Deliver this connection's frames for the duration of an ``async with`` block.

        The block is one session. When the client falls too far behind, the block is
        cancelled from `deliver`, and the socket is closed with 1013 once it has ended.
        (The connection is its own context manager: no generator frame per session.)
        """
        return self

    async def __aenter__(self) -> None:
        """Start the session: replies from this context are written directly from now on."""
        self._session = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        self._active = True
        self._serving = serving.set(self)
        if self._pending:
            self._schedule_flush()
        self._arm_expiry()

    def reauthenticate(self, user: User, token: str) -> None:
        """Carry on under a new token for the same user (the in-band refresh).

        The session then ends when the new token expires instead of the old one.
        """
        if user.id != self.user.id:
            raise ValueError("a refreshed token must be for the same user")
        self.user = user
        self.token = token
        if self._active:
            self._arm_expiry()

    def _arm_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        expires_at = self.user.expires_at
        if expires_at is not None:
            loop = asyncio.get_running_loop()
            # The token's clock is the wall clock; the loop's is monotonic.
            delay = expires_at - time.time()
            self._expiry = loop.call_at(loop.time() + delay, self._expire)

    def _expire(self) -> None:
        self._expiry = None
        logger.info("closing the session of user %s: %s", self.user.id, TOKEN_EXPIRED)
        self._end(TOKEN_EXPIRED_40101, TOKEN_EXPIRED)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        """End the session: stop the sender, and close as `_end` asked, if it did.

        (50302 and 1013 when the client fell behind, 40101 and 1008 when its token expired.)
        """
        session = self._session
        # Only the cancellation `_end` asked for ends here; any other propagates.
        swallow = (
            exc_type is asyncio.CancelledError
            and self._close_with is not None
            and session is not None
            and session.uncancel() == 0
        )
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        if self._serving is not None:
            serving.reset(self._serving)
            self._serving = None
        self._session = None
        self._active = False
        self._finished = True
        if self._sender is not None:
            self._sender.cancel()
            with suppress(asyncio.CancelledError):
                await self._sender
        if self._in_flight is not None:  # the sender was cancelled before it could start
            self._in_flight.close()
            self._in_flight = None
        if self._close_with is not None and (exc_type is None or swallow):
            await self._close_socket(*self._close_with, farewell=self._farewell)
        return swallow

    def cancel_session(self) -> None:
        """Cancel the task serving this connection (at shutdown, a handler may be blocked)."""
        session = self._session
        if session is not None and session is not asyncio.current_task():
            session.cancel()

    def _drop(self) -> None:
        """Cut off a client whose send buffer is full: stop sending and end its session."""
        self._dropped = True
        metrics.slow_consumer()
        logger.warning(
            "closing the connection of user %s: %d frames behind",
            self.user.id,
            self._max_pending,
        )
        self._end(CLIENT_TOO_SLOW_50302, "client too slow: send queue full")

    def _end(self, status: int, text: str) -> None:
        """Stop sending and cancel the session; once it has ended, refuse with `status`."""
        if self._close_with is not None:
            return
        metrics.error_frame(status)
        self._farewell, code, reason = refusal(status, text)
        self._close_with = (code, reason)
        if self._sender is not None:
            self._sender.cancel()
        if self._session is not None:
            self._session.cancel()

    async def _close_socket(self, code: int, reason: str, farewell: str | None = None) -> None:
        if not self.is_open:
            return
        metrics.server_closed(code)
        if farewell is not None:
            # Past the queue, which is dropped: the client learns why at once. A client that
            # does not read may never take it; the close (with the same status) still goes.
            try:
                async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                    await self._send({"type": "websocket.send", "text": farewell})
            except TimeoutError:
                pass
            except SEND_FAILED:
                self._send_failed()  # the client is gone: nothing to close
                return
        with suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.websocket.close(code=code, reason=reason)
