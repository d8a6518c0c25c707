# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Presence within this process: the engine that goes with the in-process broker.

Everything happens without awaiting, so a user's first join and last leave are decided
exactly, and their events reach the room's watchers at once. There is nothing to expire:
a session that ends, however it ends, is removed by its cleanup (``remove_all``), so
``PRESENCE_TTL`` plays no part here.
"""

from .base import Member
from .presence import (
    DEFAULT_PRESENCE_MAX_USERS,
    JOIN_EVENT,
    LEAVE_EVENT,
    LocalPresence,
    Presence,
    PresenceList,
    event_frame,
)


class MemoryPresence:
    """Presence kept in this process only; events go straight to the local watchers."""

    def __init__(self, *, max_users: int = DEFAULT_PRESENCE_MAX_USERS, events: bool = True) -> None:
        self._local = LocalPresence()
        self._max_users = max_users
        self._events = events

    async def start(self) -> None:
        """Nothing runs in the background."""

    async def stop(self) -> None:
        """Nothing to stop."""

    async def add(self, room: str, member: Member, user: str, *, watch: bool) -> None:
        """Count `member` as present; the user's first connection is announced."""
        if self._local.get(room, member) is not None:
            self._local.watch(room, member, watch)
            return
        if self._local.add(room, member, Presence(user, "", watch)) and self._events:
            self._local.fan_out(room, event_frame(JOIN_EVENT, room, user))

    async def remove(self, room: str, member: Member) -> None:
        """Forget `member` in `room`; the user's last connection is announced."""
        presence, last = self._local.discard(room, member)
        if presence is not None and last and self._events:
            self._local.fan_out(room, event_frame(LEAVE_EVENT, room, presence.user))

    async def remove_all(self, member: Member) -> None:
        """Forget `member` in every room."""
        for room in self._local.rooms_of(member):
            await self.remove(room, member)

    async def users(self, room: str) -> PresenceList:
        """The room's users, from this process (the only one)."""
        return self._local.listing(room, self._max_users)
