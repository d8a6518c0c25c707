# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Presence: who is in a room, and the ``presence_join`` / ``presence_leave`` events.

A `PresenceManager` is the second interface beside the `Broker` (as in centrifugal/
centrifuge): the broker carries room messages, the presence manager knows which users
are in each room. Each engine keeps this process's side in `LocalPresence`: which
connection of which user is in which room, and which members asked for the events.

The events are ephemeral frames, outside the room's history: they carry no offset, are
never kept, and reach only the members that joined with ``"presence": true``. So they
never shift a chat's offset, a resuming client never gets stale joins replayed, and
clients that did not ask never see a new frame type. The listing (``presence``) is the
truth; the events are hints that keep it current.
"""

import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from typing_extensions import TypedDict

from ..codec import encode_frame
from .base import Member

DEFAULT_PRESENCE_TTL = 30.0  # as config.py's PRESENCE_TTL
DEFAULT_PRESENCE_MAX_USERS = 100  # as config.py's PRESENCE_MAX_USERS
JOIN_EVENT = "presence_join"
LEAVE_EVENT = "presence_leave"


class PresenceJoinFrame(TypedDict):
    """A user's first connection entered the room (sent to members that asked for events)."""

    type: Literal["presence_join"]
    room: str
    user: str


class PresenceLeaveFrame(TypedDict):
    """A user's last connection left the room, or its process stopped answering."""

    type: Literal["presence_leave"]
    room: str
    user: str


# Pushed to members that joined with "presence": true, for the AsyncAPI document.
PRESENCE_FRAMES: tuple[type[Any], ...] = (PresenceJoinFrame, PresenceLeaveFrame)


def event_frame(kind: str, room: str, user: str) -> str:
    """The encoded ``presence_join`` or ``presence_leave`` frame."""
    return encode_frame({"type": kind, "room": room, "user": user})


@dataclass(frozen=True, slots=True)
class PresenceList:
    """Some users of a room with their connection counts, and how many users it has in all.

    `users` holds at most the cap asked for (sorted by user id); `total` counts them all,
    so ``total > len(users)`` says the list was cut.
    """

    users: list[tuple[str, int]]
    total: int


class PresenceManager(Protocol):
    """Who is in each room, across every process; handlers only ever see this."""

    async def start(self) -> None:
        """Start background work (the Redis engine's refresh and sweep)."""
        ...

    async def stop(self) -> None:
        """End background work."""
        ...

    async def add(self, room: str, member: Member, user: str, *, watch: bool) -> None:
        """Count `member` (a connection of `user`) as present in `room`.

        `watch`: it also receives the room's presence events. A member already present
        only has `watch` updated: joining twice writes nothing.
        """
        ...

    async def remove(self, room: str, member: Member) -> None:
        """`member` is no longer present in `room` (a no-op when it was not)."""
        ...

    async def remove_all(self, member: Member) -> None:
        """`member`'s session ended: it is present nowhere. Never raises for the backend."""
        ...

    async def users(self, room: str) -> PresenceList:
        """The room's users (capped) and their count; `BrokerUnavailableError` if unknown."""
        ...


@dataclass(slots=True)
class Presence:
    """One member's presence in one room: whose connection it is, and if it gets events."""

    user: str
    connection: str
    watch: bool


@dataclass(slots=True)
class LocalPresence:
    """This process's present members per room, their users' connection counts, and watchers."""

    _rooms: dict[str, dict[Member, Presence]] = field(default_factory=dict)
    _rooms_of: dict[Member, set[str]] = field(default_factory=dict)
    _counts: dict[str, dict[str, int]] = field(default_factory=dict)
    _watchers: dict[str, set[Member]] = field(default_factory=dict)

    def rooms(self) -> list[str]:
        """The rooms with at least one present member here."""
        return list(self._rooms)

    def rooms_of(self, member: Member) -> list[str]:
        """The rooms `member` is present in."""
        return list(self._rooms_of.get(member, ()))

    def get(self, room: str, member: Member) -> Presence | None:
        """`member`'s presence in `room`, if any."""
        return self._rooms.get(room, {}).get(member)

    def entries(self, room: str) -> list[tuple[Member, Presence]]:
        """Every present member of `room` here, with its presence."""
        return list(self._rooms.get(room, {}).items())

    def add(self, room: str, member: Member, presence: Presence) -> bool:
        """Record `presence`; True when it is `presence.user`'s first connection in `room` here."""
        self._rooms.setdefault(room, {})[member] = presence
        self._rooms_of.setdefault(member, set()).add(room)
        if presence.watch:
            self._watchers.setdefault(room, set()).add(member)
        counts = self._counts.setdefault(room, {})
        counts[presence.user] = counts.get(presence.user, 0) + 1
        return counts[presence.user] == 1

    def watch(self, room: str, member: Member, watch: bool) -> None:
        """Start or stop sending `room`'s presence events to `member` (already present)."""
        presence = self._rooms[room][member]
        presence.watch = watch
        if watch:
            self._watchers.setdefault(room, set()).add(member)
        else:
            self._discard_watcher(room, member)

    def discard(self, room: str, member: Member) -> tuple[Presence | None, bool]:
        """Forget `member` in `room`; its presence (None if absent) and whether it was the last.

        The flag is True when that was its user's last connection in `room` here.
        """
        members = self._rooms.get(room)
        presence = None if members is None else members.pop(member, None)
        if presence is None or members is None:
            return None, False
        if not members:
            del self._rooms[room]
        rooms = self._rooms_of[member]
        rooms.discard(room)
        if not rooms:
            del self._rooms_of[member]
        self._discard_watcher(room, member)
        counts = self._counts[room]
        counts[presence.user] -= 1
        last = counts[presence.user] == 0
        if last:
            del counts[presence.user]
            if not counts:
                del self._counts[room]
        return presence, last

    def listing(self, room: str, cap: int) -> PresenceList:
        """This process's users of `room`: the first `cap` by user id, and how many in all."""
        counts = self._counts.get(room, {})
        return PresenceList(sorted_capped(counts.items(), cap), len(counts))

    def fan_out(self, room: str, text: str) -> None:
        """Hand one presence event to the members of `room` here that asked for them."""
        for member in self._watchers.get(room, ()):
            member.deliver(text)

    def _discard_watcher(self, room: str, member: Member) -> None:
        watchers = self._watchers.get(room)
        if watchers is not None:
            watchers.discard(member)
            if not watchers:
                del self._watchers[room]


def sorted_capped(users: Iterable[tuple[str, int]], cap: int) -> list[tuple[str, int]]:
    """The first `cap` of `users` by user id."""
    return heapq.nsmallest(cap, users)
