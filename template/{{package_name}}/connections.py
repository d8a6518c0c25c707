"""Accepted WebSocket connections: how handlers talk to a client, and the registry of them all."""

import asyncio
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from fastapi import WebSocket
from starlette.websockets import WebSocketState

from .auth import User
from .close_codes import checked_close_code

logger = logging.getLogger(__name__)


def encode_frame(frame: Mapping[str, Any]) -> str:
    """Serialise one outgoing JSON frame (compact, UTF-8 text kept as is)."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


class ClientConnection:
    """One authenticated client socket, as handlers see it."""

    __slots__ = ("task", "token", "user", "websocket")

    def __init__(self, websocket: WebSocket, user: User, token: str | None) -> None:
        self.websocket = websocket
        self.user = user
        self.token = token
        # The task serving this connection, so that shutdown can cancel it.
        self.task = asyncio.current_task()

    @property
    def is_open(self) -> bool:
        """True until either side has closed the socket."""
        return (
            self.websocket.client_state is WebSocketState.CONNECTED
            and self.websocket.application_state is WebSocketState.CONNECTED
        )

    async def send_json(self, frame: Mapping[str, Any]) -> None:
        """Send one JSON frame to the client."""
        await self.websocket.send_text(encode_frame(frame))

    async def send_error(self, status: int, message: str, **details: Any) -> None:
        """Send an error frame ``{"status": ..., "message": ..., **details}``."""
        await self.send_json({"status": status, "message": message, **details})

    async def close(self, code: int, reason: str = "") -> None:
        """Close with a valid close code (see `close_codes`); a no-op once closed."""
        checked_close_code(code)
        if self.is_open:
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

        A failing close does not stop the rest; a handler blocked on something other than
        ``receive`` is cancelled instead of keeping the process alive.
        """
        connections = list(self._connections)
        for connection in connections:
            try:
                await connection.close(code, reason)
            except Exception:  # a client that vanished mid-close must not block shutdown
                logger.warning("could not close a connection cleanly", exc_info=True)
        current = asyncio.current_task()
        for connection in connections:
            if connection.task is not None and connection.task is not current:
                connection.task.cancel()
