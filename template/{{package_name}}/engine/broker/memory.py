# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The in-process engine: rooms for a service that runs as one process, with history.

Each room keeps its last `history_size` messages in a ring, under an epoch made when the
room's history starts (at the first message after a process start, or after the history
expired). Nothing here awaits: a publish hands its frame to the hub before it returns, so
a room whose feed is in order fans out without a task switch.
"""

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from ..codec import encode_frame
from .base import BrokerState, PublishResult, StreamPosition, new_epoch, with_position
from .engine import EngineEvents, HistorySlice
from .hub import RoomHub

DEFAULT_HISTORY_SIZE = 500  # as config.py's HISTORY_SIZE
DEFAULT_HISTORY_TTL = 300.0


@dataclass(slots=True)
class RoomHistory:
    """One room's history: its epoch, latest offset and last messages (offset, frame)."""

    epoch: str
    size: int
    offset: int = 0
    expires_at: float = 0.0
    ring: deque[tuple[int, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.ring = deque(maxlen=self.size)

    @property
    def position(self) -> StreamPosition:
        """The latest offset and the epoch."""
        return StreamPosition(self.offset, self.epoch)

    def entries(self, after: int | None, limit: int) -> list[tuple[int, str]]:
        """The kept entries after `after`, or the last `limit` of them (after None)."""
        ring = self.ring
        if after is not None:
            # Offsets in the ring are consecutive: the first one wanted is found by index.
            start = after + 1 - ring[0][0] if ring else 0
            return list(islice(ring, max(0, start), None))
        if limit <= 0:
            return []
        return list(islice(ring, max(0, len(ring) - limit), None))


class _Unattached:
    """Who hears of publications before a hub attaches: nobody."""

    def on_publication(self, room: str, offset: int, epoch: str, text: str) -> None:
        """Dropped."""

    def on_subscribed(self, room: str) -> None:
        """Dropped."""


class MemoryEngine:
    """Publish, subscribe and history within this process only."""

    name = "memory"

    def __init__(
        self,
        *,
        history_size: int = DEFAULT_HISTORY_SIZE,
        history_ttl: float = DEFAULT_HISTORY_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._history_size = history_size
        self._history_ttl = history_ttl
        self._events: EngineEvents = _Unattached()
        self._subscribed: set[str] = set()
        # Oldest activity first, so expired entries are dropped from the front.
        self._histories: OrderedDict[str, RoomHistory] = OrderedDict()
        # (room, message key) → where it was published, and until when that is remembered.
        self._published: OrderedDict[tuple[str, str], tuple[StreamPosition, float]]
        self._published = OrderedDict()

    @property
    def state(self) -> BrokerState:
        """Always up: there is nothing to connect to."""
        return BrokerState.UP

    def attach(self, events: EngineEvents) -> None:
        """Hand publications of subscribed rooms to `events`."""
        self._events = events

    async def start(self) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """Nothing to disconnect."""

    async def subscribe(self, room: str) -> None:
        """Hand `room`'s publications over from now on."""
        self._subscribed.add(room)

    async def unsubscribe(self, room: str) -> None:
        """Stop handing `room`'s publications over."""
        self._subscribed.discard(room)

    async def history(self, room: str, *, after: int | None = None, limit: int = 0) -> HistorySlice:
        """The room's position and the entries kept after `after` (or its last `limit`)."""
        history = self._history(room, self._clock())
        return HistorySlice(history.position, history.entries(after, limit))

    async def publish(
        self, room: str, frame: Mapping[str, Any], *, message_key: str | None = None
    ) -> PublishResult:
        """Give `frame` the room's next offset, keep it, and hand it to the hub."""
        now = self._clock()
        self._expire(now)
        if message_key is not None:
            known = self._published.get((room, message_key))
            if known is not None:
                return PublishResult(known[0], duplicate=True)
        history = self._history(room, now)
        history.offset += 1
        history.expires_at = now + self._history_ttl
        self._histories.move_to_end(room)
        offset, epoch = history.offset, history.epoch
        text = with_position(encode_frame(frame), offset, epoch)
        if self._history_size:
            history.ring.append((offset, text))
        position = StreamPosition(offset, epoch)
        if message_key is not None:
            self._published[(room, message_key)] = (position, now + self._history_ttl)
        if room in self._subscribed:
            self._events.on_publication(room, offset, epoch, text)
        return PublishResult(position)

    def _history(self, room: str, now: float) -> RoomHistory:
        """The room's history, started afresh (new epoch) when there is none or it expired."""
        history = self._histories.get(room)
        if history is not None and history.expires_at > now:
            return history
        fresh = RoomHistory(new_epoch(), self._history_size, expires_at=now + self._history_ttl)
        self._histories[room] = fresh
        self._histories.move_to_end(room)
        return fresh

    def _expire(self, now: float) -> None:
        """Forget histories and message ids older than the TTL (oldest are at the front)."""
        while self._histories:
            room, history = next(iter(self._histories.items()))
            if history.expires_at > now:
                break
            del self._histories[room]
        while self._published:
            key, (_, expires_at) = next(iter(self._published.items()))
            if expires_at > now:
                break
            del self._published[key]


class MemoryBroker(RoomHub):
    """Rooms within this process only: the hub over a `MemoryEngine`."""

    def __init__(
        self,
        *,
        history_size: int = DEFAULT_HISTORY_SIZE,
        history_ttl: float = DEFAULT_HISTORY_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(
            MemoryEngine(history_size=history_size, history_ttl=history_ttl, clock=clock)
        )
