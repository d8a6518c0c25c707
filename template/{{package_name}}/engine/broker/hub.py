# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Rooms above an engine: membership, ordered delivery and join-time recovery, written once.

`RoomHub` is the `Broker` handlers use. It keeps this process's members (`LocalRooms`),
subscribes the engine to a room while the room has members here (or members joining), and
runs each room's publications through a `RoomFeed` (``feed.py``), which delivers them in
offset order, fills gaps from the engine's history and admits joining members. So every
engine gets the same guarantees from the same code, and an engine only publishes,
subscribes and reads history (``engine.py``).
"""

import asyncio
from collections.abc import Coroutine, Mapping
from typing import Any

from .base import (
    BrokerState,
    BrokerUnavailableError,
    LocalRooms,
    Member,
    PublishResult,
    StreamPosition,
)
from .engine import Engine, HistorySlice
from .feed import RoomFeed

JOIN_TIMEOUT_SECONDS = 5.0


class RoomHub:
    """The `Broker` over any `Engine`: rooms with members on this process."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.backend = engine.name
        self._rooms = LocalRooms()
        # One feed per room this process is subscribed to (members, or members joining).
        self._feeds: dict[str, RoomFeed] = {}
        engine.attach(self)

    @property
    def engine(self) -> Engine:
        """The engine carrying this hub's rooms."""
        return self._engine

    @property
    def state(self) -> BrokerState:
        """The engine's state (``GET /api/health``)."""
        return self._engine.state

    @property
    def room_count(self) -> int:
        """How many rooms have members on this process."""
        return len(self._rooms)

    async def start(self) -> None:
        """Start the engine (bounded: it keeps connecting in the background)."""
        await self._engine.start()

    async def stop(self) -> None:
        """Stop the feeds, then the engine."""
        for feed in self._feeds.values():
            feed.stop()
        await self._engine.stop()

    def is_member(self, room: str, member: Member) -> bool:
        """True when `member` has joined `room` on this process."""
        return self._rooms.is_member(room, member)

    def rooms_of(self, member: Member) -> list[str]:
        """The rooms `member` has joined on this process."""
        return self._rooms.rooms_of(member)

    async def join(self, room: str, member: Member, since: StreamPosition | None = None) -> None:
        """Subscribe the room here, then let its feed admit `member` (see `Broker.join`)."""
        feed = self._feeds.get(room)
        if feed is None:
            feed = self._feeds[room] = RoomFeed(room, self._rooms, self._fetch)
        try:
            async with asyncio.timeout(JOIN_TIMEOUT_SECONDS):
                await feed.join(member, since, self._engine.subscribe(room))
        except (BrokerUnavailableError, TimeoutError) as exc:
            await self._drop_if_unused(room)
            raise BrokerUnavailableError(f"could not join room {room!r}") from exc

    async def leave(self, room: str, member: Member) -> None:
        """Remove `member` from `room`; unsubscribe when it was the last member here."""
        if self._rooms.discard(room, member):
            await self._drop_if_unused(room)

    async def leave_all(self, member: Member) -> None:
        """Remove `member` from every room."""
        for room in self._rooms.rooms_of(member):
            await self.leave(room, member)

    async def history(self, room: str, limit: int) -> tuple[list[str], StreamPosition]:
        """The last `limit` messages kept for `room`, oldest first, and its position."""
        found = await self._engine.history(room, limit=limit)
        return [text for _, text in found.entries], found.position

    def publish(
        self, room: str, frame: Mapping[str, Any], *, message_key: str | None = None
    ) -> Coroutine[Any, Any, PublishResult]:
        """The engine's publish (see `Broker.publish`); members get it through `on_publication`.

        Returns the engine's coroutine itself: no extra frame on the hot path.
        """
        return self._engine.publish(room, frame, message_key=message_key)

    def on_publication(self, room: str, offset: int, epoch: str, text: str) -> None:
        """A message from the engine: to the room's feed, which delivers it in order."""
        feed = self._feeds.get(room)
        if feed is not None:
            feed.on_live(offset, epoch, text)

    def on_subscribed(self, room: str) -> None:
        """The engine (re)subscribed `room`: the feed reads what it may have missed."""
        feed = self._feeds.get(room)
        if feed is not None:
            feed.resync()

    async def _fetch(self, room: str, after: int | None) -> HistorySlice:
        """The feeds' read of a room's history."""
        return await self._engine.history(room, after=after)

    async def _drop_if_unused(self, room: str) -> None:
        """Drop the room's feed and subscription once no member is in it or joining it."""
        feed = self._feeds.get(room)
        if feed is None or self._rooms.has_members(room) or feed.joining:
            return
        del self._feeds[room]
        feed.stop()
        await self._engine.unsubscribe(room)
