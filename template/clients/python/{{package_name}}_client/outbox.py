"""Publishes waiting for their acknowledgement: bounded, in order, each with its own id."""

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from .errors import OutboxFullError
from .frames import Published


@dataclass(eq=False)
class Pending:
    """One publish: its frame's fields, the caller's future, and when it was last sent."""

    id: str
    room: str
    text: str
    size: int
    future: asyncio.Future[Published]
    # (session number, monotonic time) of the last send; None: not sent on this session.
    sent: tuple[int, float] | None = None
    # Not before this monotonic time (a retry after a rate limit or a busy broker).
    not_before: float = field(default=0.0)


class Outbox:
    """Unacknowledged publishes, oldest first, within `max_messages` and `max_bytes`.

    A publish stays here until the service acknowledges it (or it fails or times out), so
    that a reconnect sends it again with the same id, which the service never publishes
    twice (within its HISTORY_TTL).
    """

    def __init__(self, max_messages: int, max_bytes: int) -> None:
        if max_messages < 1 or max_bytes < 1:
            raise ValueError("the outbox needs room for at least one message and byte")
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self._entries: dict[str, Pending] = {}
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Pending]:
        return iter(list(self._entries.values()))

    def add(self, pending: Pending) -> None:
        """Queue `pending`; OutboxFullError at once when it would not fit."""
        if pending.id in self._entries:
            raise ValueError(f"message id {pending.id!r} is already waiting for its answer")
        if len(self._entries) >= self.max_messages or self._bytes + pending.size > self.max_bytes:
            raise OutboxFullError(
                f"{len(self._entries)} messages ({self._bytes} bytes) wait for their "
                f"acknowledgement (limits: {self.max_messages}, {self.max_bytes} bytes)"
            )
        self._entries[pending.id] = pending
        self._bytes += pending.size

    def get(self, message_id: str) -> Pending | None:
        """The pending publish with this id, if it still waits."""
        return self._entries.get(message_id)

    def remove(self, pending: Pending) -> None:
        """Forget `pending` (answered, failed or given up on)."""
        if self._entries.pop(pending.id, None) is not None:
            self._bytes -= pending.size

    def retry(self, pending: Pending, delay: float) -> None:
        """Send `pending` again, not before `delay` seconds from now."""
        pending.sent = None
        pending.not_before = time.monotonic() + delay

    def unsent_all(self) -> None:
        """A new session: everything waiting is sent again on it."""
        for pending in self._entries.values():
            pending.sent = None
