# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The broker interface handlers use for rooms, and the local membership the hub keeps.

A broker carries room messages to every process of the service. Each process keeps its
own members (`LocalRooms`, in ``hub.py``'s `RoomHub`) and hands every message published to
a room it has members in to their connections' `deliver`, which never waits for a client.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class BrokerState(StrEnum):
    """Whether room messages can be published and received right now."""

    CONNECTING = "connecting"
    UP = "up"
    DOWN = "down"


class BrokerUnavailableError(Exception):
    """The broker cannot carry messages right now (e.g. Redis is unreachable).

    Raised by `Broker.publish` only when the message certainly was not published.
    """


class PublishOutcomeUnknownError(BrokerUnavailableError):
    """The publish may or may not have happened (e.g. Redis timed out after taking it).

    A client that retries with the same message id is safe: a published id is not
    published again.
    """


@dataclass(frozen=True, slots=True)
class StreamPosition:
    """A place in a room's history: the offset of a message and the epoch naming that history.

    Offsets count up by 1 per message published in the room; the epoch changes whenever
    the history was lost (so an offset from another epoch means nothing).
    """

    offset: int
    epoch: str


@dataclass(frozen=True, slots=True)
class PublishResult:
    """Where a published message landed; `duplicate` when its id had been published before."""

    position: StreamPosition
    duplicate: bool = False


# Hex characters only: safe in JSON without escaping, and in Redis keys and payloads.
EPOCH_BYTES = 4


def new_epoch() -> str:
    """A fresh epoch name: a new history starts under it."""
    return secrets.token_hex(EPOCH_BYTES)


def with_position(encoded: str, offset: int, epoch: str) -> str:
    """An encoded JSON object frame with ``offset`` and ``epoch`` added at its end.

    Plain string work on purpose: the Redis script does the same to the same text, and
    nothing on the per-message path decodes a frame again. `epoch` holds no character
    that JSON would escape (see `new_epoch`).
    """
    return f'{encoded[:-1]},"offset":{offset},"epoch":"{epoch}"}}'


class Member(Protocol):
    """A room member: `ClientConnection` in the service, anything with ``deliver`` in tests."""

    def deliver(self, text: str) -> None:
        """Queue one encoded frame for the client; must never wait."""
        ...


class Broker(Protocol):
    """Rooms across every process of the service; handlers only ever see this."""

    backend: str

    @property
    def state(self) -> BrokerState:
        """The current state, reported by ``GET /api/health``."""
        ...

    @property
    def room_count(self) -> int:
        """How many rooms have members on this process (``GET /api/health``)."""
        ...

    async def start(self) -> None:
        """Connect (bounded); a broker that cannot connect yet keeps retrying in the background."""
        ...

    async def stop(self) -> None:
        """Disconnect and end every background task."""
        ...

    def is_member(self, room: str, member: Member) -> bool:
        """True when `member` has joined `room` on this process."""
        ...

    def rooms_of(self, member: Member) -> list[str]:
        """The rooms `member` has joined (e.g. to re-check them when its rights change)."""
        ...

    async def join(self, room: str, member: Member, since: StreamPosition | None = None) -> None:
        """Add `member` to `room` and deliver it the ``joined`` frame.

        With `since`, the messages after it that are still in history follow the
        ``joined`` frame (``"recovered": true``), each once and in order, then the live
        ones; ``"recovered": false`` when they are not all there any more.
        `BrokerUnavailableError` if membership cannot be guaranteed.
        """
        ...

    async def history(self, room: str, limit: int) -> tuple[list[str], StreamPosition]:
        """The last `limit` messages of `room` (encoded frames, oldest first) and its position."""
        ...

    async def leave(self, room: str, member: Member) -> None:
        """Remove `member` from `room` (a no-op when it is not a member)."""
        ...

    async def leave_all(self, member: Member) -> None:
        """Remove `member` from every room (its session has ended)."""
        ...

    async def publish(
        self, room: str, frame: Mapping[str, Any], *, message_key: str | None = None
    ) -> PublishResult:
        """Send `frame` to every member of `room` on every process, in offset order.

        The frame gets the room's next offset and its epoch. With `message_key` (the
        sender's user id and message id), a key published within the history TTL is not
        published again: the result names the original offset. Raises
        `BrokerUnavailableError` when the frame certainly was not sent, and
        `PublishOutcomeUnknownError` when it may have been: never a silent drop.
        """
        ...


class LocalRooms:
    """This process's members of each room, with the fan-out to them."""

    __slots__ = ("_rooms", "_rooms_of")

    def __init__(self) -> None:
        self._rooms: dict[str, set[Member]] = {}
        self._rooms_of: dict[Member, set[str]] = {}

    def __len__(self) -> int:
        return len(self._rooms)

    def rooms(self) -> list[str]:
        """The rooms with at least one member on this process."""
        return list(self._rooms)

    def rooms_of(self, member: Member) -> list[str]:
        """The rooms `member` has joined."""
        return list(self._rooms_of.get(member, ()))

    def is_member(self, room: str, member: Member) -> bool:
        """True when `member` has joined `room`."""
        return room in self._rooms_of.get(member, ())

    def has_members(self, room: str) -> bool:
        """True when `room` has at least one member on this process."""
        return room in self._rooms

    def add(self, room: str, member: Member) -> bool:
        """Add `member` to `room`; True when the room had no member here before."""
        members = self._rooms.get(room)
        first = members is None
        if members is None:
            members = self._rooms[room] = set()
        members.add(member)
        self._rooms_of.setdefault(member, set()).add(room)
        return first

    def discard(self, room: str, member: Member) -> bool:
        """Remove `member` from `room`; True when that left the room empty here."""
        rooms = self._rooms_of.get(member)
        if rooms is None or room not in rooms:
            return False
        rooms.discard(room)
        if not rooms:
            del self._rooms_of[member]
        members = self._rooms[room]
        members.discard(member)
        if members:
            return False
        del self._rooms[room]
        return True

    def fan_out(self, room: str, text: str) -> None:
        """Hand one encoded frame to every member of `room` here (none waits for its client)."""
        for member in self._rooms.get(room, ()):
            member.deliver(text)
