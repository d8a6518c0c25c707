"""The in-process broker: rooms for a service that runs as one process."""

from collections.abc import Mapping
from typing import Any

from ..connections import encode_frame
from .base import BrokerState, LocalRooms, Member


class MemoryBroker:
    """Rooms within this process only: publishing is a direct fan-out to local members."""

    backend = "memory"

    def __init__(self) -> None:
        self._rooms = LocalRooms()

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

    async def join(self, room: str, member: Member) -> None:
        """Add `member` to `room`."""
        self._rooms.add(room, member)

    async def leave(self, room: str, member: Member) -> None:
        """Remove `member` from `room`."""
        self._rooms.discard(room, member)

    async def leave_all(self, member: Member) -> None:
        """Remove `member` from every room."""
        for room in self._rooms.rooms_of(member):
            self._rooms.discard(room, member)

    async def publish(self, room: str, frame: Mapping[str, Any]) -> None:
        """Encode `frame` once and hand it to every member of `room`."""
        self._rooms.fan_out(room, encode_frame(frame))
