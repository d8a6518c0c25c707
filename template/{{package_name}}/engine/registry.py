# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The open connections of this process, so that shutdown can close them all."""

import asyncio
import logging

from .connection import ClientConnection

logger = logging.getLogger(__name__)


class ConnectionRegistry:
    """The open connections of this process, so shutdown can close them all."""

    def __init__(self) -> None:
        self._connections: set[ClientConnection] = set()

    def __len__(self) -> int:
        return len(self._connections)

    def add(self, connection: ClientConnection) -> None:
        """Register an open connection (pair with `discard` in a ``finally``)."""
        self._connections.add(connection)

    def discard(self, connection: ClientConnection) -> None:
        """Forget a connection whose session has ended."""
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
