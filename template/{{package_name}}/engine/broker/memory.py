# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The in-process broker: rooms for a service that runs as one process, with history.

Each room keeps its last `history_size` messages in a ring, under an epoch made when the
room's history starts (at the first message after a process start, or after the history
expired). Everything here runs without awaiting, so a join reads history and becomes a
member in one step: no message published meanwhile can be missed or seen twice.
"""

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..codec import encode_frame
from .base import (
    BrokerState,
    LocalRooms,
    Member,
    PublishResult,
    StreamPosition,
    new_epoch,
    with_position,
)
from .frames import joined_frame, reset_frame

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

    def after(self, offset: int) -> list[str] | None:
        """The frames after `offset`, or None when some of them are no longer kept."""
        if offset == self.offset:
            return []
        if offset > self.offset or not self.ring or self.ring[0][0] > offset + 1:
            return None
        return [text for message_offset, text in self.ring if message_offset > offset]


class MemoryBroker:
    """Rooms within this process only: publishing is a direct fan-out to local members."""

    backend = "memory"

    def __init__(
        self,
        *,
        history_size: int = DEFAULT_HISTORY_SIZE,
        history_ttl: float = DEFAULT_HISTORY_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rooms = LocalRooms()
        self._clock = clock
        self._history_size = history_size
        self._history_ttl = history_ttl
        # Oldest activity first, so expired entries are dropped from the front.
        self._histories: OrderedDict[str, RoomHistory] = OrderedDict()
        # (room, message key) → where it was published, and until when that is remembered.
        self._published: OrderedDict[tuple[str, str], tuple[StreamPosition, float]]
        self._published = OrderedDict()

    @property
    def state(self) -> BrokerState:
        """Always up: there is nothing to connect to."""
        return BrokerState.UP

    @property
    def room_count(self) -> int:
        """How many rooms have members on this process."""
        return len(self._rooms)

    async def start(self) -> None:
        """Nothing to connect to."""

    async def stop(self) -> None:
        """Nothing to disconnect."""

    def is_member(self, room: str, member: Member) -> bool:
        """True when `member` has joined `room`."""
        return self._rooms.is_member(room, member)

    def rooms_of(self, member: Member) -> list[str]:
        """The rooms `member` has joined."""
        return self._rooms.rooms_of(member)

    async def join(self, room: str, member: Member, since: StreamPosition | None = None) -> None:
        """Deliver ``joined`` (and, with `since`, the messages after it), then add `member`."""
        history = self._history(room, self._clock())
        recovered: bool | None = None
        frames: list[str] = []
        if since is not None and not self._rooms.is_member(room, member):
            missed = history.after(since.offset) if since.epoch == history.epoch else None
            recovered = missed is not None
            frames = missed or []
        member.deliver(joined_frame(room, history.position, recovered))
        for text in frames:
            member.deliver(text)
        self._rooms.add(room, member)

    async def leave(self, room: str, member: Member) -> None:
        """Remove `member` from `room`."""
        self._rooms.discard(room, member)

    async def leave_all(self, member: Member) -> None:
        """Remove `member` from every room."""
        for room in self._rooms.rooms_of(member):
            self._rooms.discard(room, member)

    async def history(self, room: str, limit: int) -> tuple[list[str], StreamPosition]:
        """The last `limit` messages kept for `room`, oldest first."""
        history = self._history(room, self._clock())
        kept = list(history.ring)[-limit:] if limit > 0 else []
        return [text for _, text in kept], history.position

    async def publish(
        self, room: str, frame: Mapping[str, Any], *, message_key: str | None = None
    ) -> PublishResult:
        """Give `frame` the room's next offset, keep it, and hand it to every member."""
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
        text = with_position(encode_frame(frame), history.offset, history.epoch)
        if self._history_size:
            history.ring.append((history.offset, text))
        position = history.position
        if message_key is not None:
            self._published[(room, message_key)] = (position, now + self._history_ttl)
        self._rooms.fan_out(room, text)
        return PublishResult(position)

    def _history(self, room: str, now: float) -> RoomHistory:
        """The room's history, started afresh (new epoch) when there is none or it expired."""
        history = self._histories.get(room)
        if history is not None and history.expires_at > now:
            return history
        fresh = RoomHistory(new_epoch(), self._history_size, expires_at=now + self._history_ttl)
        self._histories[room] = fresh
        self._histories.move_to_end(room)
        if self._rooms.has_members(room):
            # Members here hold positions in the lost history: tell them it is gone.
            self._rooms.fan_out(room, reset_frame(room, fresh.position))
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
