# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The engine interface: the node-level work a broker engine does, and nothing more.

An engine publishes (offset, epoch, history, message-id dedupe), subscribes this process
to a room's publications, reads history and reports its state. Membership, ordering and
join-time recovery live once, above every engine, in ``hub.py``. A new engine (NATS,
Kafka, ...) implements `Engine` and passes ``tests/test_engines.py``.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from .base import BrokerState, PublishResult, StreamPosition


@dataclass(frozen=True, slots=True)
class HistorySlice:
    """A room's latest position and the messages asked for: (offset, frame), oldest first."""

    position: StreamPosition
    entries: list[tuple[int, str]]

    def covers(self, after: int) -> bool:
        """True when every message after `after` (up to the latest) is in `entries`."""
        latest = self.position.offset
        if after == latest:
            return True
        return after < latest and bool(self.entries) and self.entries[0][0] <= after + 1


class EngineEvents(Protocol):
    """What an engine tells the layer above it (`RoomHub`), for the rooms it subscribed."""

    def on_publication(self, room: str, offset: int, epoch: str, text: str) -> None:
        """One published message, as its encoded frame; must not wait.

        Called in publish order per room, but a transport may lose some (pub/sub is at
        most once): the layer above sees the gap from the offsets and reads history.
        """
        ...

    def on_subscribed(self, room: str) -> None:
        """`room`'s subscription is (again) in place, e.g. after a reconnect: look for gaps."""
        ...


class Engine(Protocol):
    """Publish, subscribe and history for rooms, on one node of the service."""

    name: str

    @property
    def state(self) -> BrokerState:
        """Whether publishing and subscribing work right now."""
        ...

    def attach(self, events: EngineEvents) -> None:
        """Set who hears of publications and subscriptions (before the first subscribe)."""
        ...

    async def start(self) -> None:
        """Connect (bounded); an engine that cannot connect yet keeps retrying."""
        ...

    async def stop(self) -> None:
        """Disconnect and end every background task."""
        ...

    async def publish(
        self, room: str, frame: Mapping[str, Any], *, message_key: str | None = None
    ) -> PublishResult:
        """Give `frame` the room's next offset and its epoch, keep it, and send it out.

        The frame reaches `on_publication` of every node subscribed to `room`. With
        `message_key`, a key published within the history TTL is not published again (the
        result names the original position, ``duplicate=True``). Raises
        `BrokerUnavailableError` when it certainly was not published, and
        `PublishOutcomeUnknownError` when it may have been.
        """
        ...

    async def subscribe(self, room: str) -> None:
        """Receive `room`'s publications from now on; returns once that is certain.

        Idempotent and safe to call concurrently. `BrokerUnavailableError` when the
        subscription cannot be made.
        """
        ...

    async def unsubscribe(self, room: str) -> None:
        """Stop receiving `room`'s publications (best effort; never raises)."""
        ...

    async def history(self, room: str, *, after: int | None = None, limit: int = 0) -> HistorySlice:
        """The room's position, with the entries kept after `after`, or its last `limit`.

        A room without history gets a new epoch here. `BrokerUnavailableError` when the
        history cannot be read.
        """
        ...
