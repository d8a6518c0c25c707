# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""One room's live feed on this process: each message reaches its members once, in order.

Engines deliver at most once (a pub/sub reconnect, or a message lost on the way, leaves a
gap). The feed knows the last offset it handed to its members, so it sees a gap as soon as
the next message arrives (or is told to look, after a reconnect). It then holds live
messages back, reads what is missing from the room's history, delivers that, and goes on
with the held messages, dropping those it delivered already. A gap it cannot fill (the
history was trimmed, or lost with a new epoch) becomes one ``reset`` frame to its members.

Joining goes through the same worker: the room is subscribed first, so every message
after the history read also arrives live, and the offset check drops the overlap. A
member joining with ``since`` gets ``joined``, then the messages it missed, then the live
ones, with no gap and no duplicate while others keep publishing.
"""

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .base import BrokerUnavailableError, LocalRooms, Member, StreamPosition
from .engine import HistorySlice
from .frames import joined_frame, reset_frame

logger = logging.getLogger(__name__)

# After a failed fetch, the feed tries again this much later (while it has members).
RETRY_SECONDS = 0.5

Fetch = Callable[[str, int | None], Awaitable[HistorySlice]]


@dataclass(slots=True)
class PendingJoin:
    """A member waiting to join: where it wants to resume from, and who waits for it."""

    member: Member
    since: StreamPosition | None
    done: asyncio.Future[None]


class RoomFeed:
    """The ordered, gap-free flow of one room's messages to its members on this process."""

    def __init__(self, room: str, rooms: LocalRooms, fetch: Fetch) -> None:
        self.room = room
        self._rooms = rooms
        self._fetch = fetch
        # The last offset delivered to this room's members, and its epoch (None: not yet
        # read from the engine).
        self.offset = 0
        self.epoch: str | None = None
        self._held: deque[tuple[int, str, str]] = deque()
        self._joins: list[PendingJoin] = []
        self._resync = False
        self._worker: asyncio.Task[None] | None = None
        self._joining = 0

    @property
    def joining(self) -> bool:
        """True while a member waits to be admitted."""
        return self._joining > 0

    def on_live(self, offset: int, epoch: str, text: str) -> None:
        """Deliver one message now when it is next in order; else hold it for the worker."""
        if self._worker is None and epoch == self.epoch:
            if offset == self.offset + 1:
                self.offset = offset
                self._rooms.fan_out(self.room, text)
                return
            if offset <= self.offset:
                return  # delivered already, from history
        self._held.append((offset, epoch, text))
        self._start()

    def resync(self) -> None:
        """Read whatever was published since the last delivered offset (after a reconnect)."""
        if self.epoch is not None:
            self._resync = True
            self._start()

    async def join(
        self, member: Member, since: StreamPosition | None, subscribed: Awaitable[None]
    ) -> None:
        """Deliver ``joined`` (and what `member` missed since `since`), then make it a member.

        `subscribed` (the engine's subscription) is awaited first; the feed counts as
        joining from the start, so a last member leaving meanwhile does not drop it.
        """
        self._joining += 1
        try:
            await subscribed
            done = asyncio.get_running_loop().create_future()
            self._joins.append(PendingJoin(member, since, done))
            self._start()
            await done
        finally:
            self._joining -= 1

    def stop(self) -> None:
        """End the worker (the feed is no longer needed)."""
        if self._worker is not None:
            self._worker.cancel()

    def _start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work())

    async def _work(self) -> None:
        """Sync with history while needed, then deliver the held messages in order."""
        try:
            while self._joins or self._resync or self._held:
                synced = False
                if self._joins or self._resync or self.epoch is None:
                    try:
                        await self._sync()
                    except BrokerUnavailableError:
                        if not self._rooms.has_members(self.room):
                            self._held.clear()
                            return
                        self._resync = True
                        await asyncio.sleep(RETRY_SECONDS)
                        continue
                    synced = True
                self._deliver_held(synced)
        except Exception as exc:
            # A bug must not leave joins waiting for their timeout, nor vanish unlogged.
            logger.exception("room %s: the feed failed", self.room)
            for join in self._joins:
                if not join.done.done():
                    join.done.set_exception(BrokerUnavailableError(str(exc)))
            self._joins.clear()
        finally:
            self._worker = None

    async def _sync(self) -> None:
        """Read history once for every pending join and for this process's own gap."""
        joins = [join for join in self._joins if not join.done.done()]
        self._joins = []
        self._resync = False
        starts = [join.since.offset for join in joins if join.since is not None]
        if self.epoch is not None:
            starts.append(self.offset)
        try:
            found = await self._fetch(self.room, min(starts) if starts else None)
        except BrokerUnavailableError as exc:
            for join in joins:
                if not join.done.done():
                    join.done.set_exception(exc)
            raise
        latest = found.position
        if self.epoch is not None and self._rooms.has_members(self.room):
            if latest.epoch == self.epoch and found.covers(self.offset):
                for offset, text in found.entries:
                    if offset > self.offset:
                        self._rooms.fan_out(self.room, text)
            elif latest.epoch != self.epoch or latest.offset != self.offset:
                latest = await self._reset()
        self.offset, self.epoch = latest.offset, latest.epoch
        for join in joins:
            self._admit(join, found)

    async def _reset(self) -> StreamPosition:
        """Tell the members their position is gone; deliver the new epoch's messages if kept.

        Returns the position delivered up to. A ``reset`` at offset 0 followed by the new
        epoch's messages loses nothing of the new history (e.g. after the engine restarted).
        """
        logger.warning("room %s: messages lost beyond its history, reset", self.room)
        found = await self._fetch(self.room, 0)
        if found.covers(0):
            start = StreamPosition(0, found.position.epoch)
            self._rooms.fan_out(self.room, reset_frame(self.room, start))
            for _, text in found.entries:
                self._rooms.fan_out(self.room, text)
        else:
            self._rooms.fan_out(self.room, reset_frame(self.room, found.position))
        return found.position

    def _admit(self, join: PendingJoin, found: HistorySlice) -> None:
        """Deliver ``joined`` and the missed messages to a joining member, then add it."""
        if join.done.done():
            return  # its session ended while history was read
        member, since = join.member, join.since
        recovered: bool | None = None
        missed: list[str] = []
        if since is not None and not self._rooms.is_member(self.room, member):
            recovered = since.epoch == found.position.epoch and found.covers(since.offset)
            if recovered:
                missed = [text for offset, text in found.entries if offset > since.offset]
        member.deliver(joined_frame(self.room, found.position, recovered))
        for text in missed:
            member.deliver(text)
        self._rooms.add(self.room, member)
        join.done.set_result(None)

    def _deliver_held(self, synced: bool) -> None:
        """Deliver held messages in order; stop at a gap or a new epoch and ask for a sync.

        Right after a sync, a held message of another epoch predates the epoch just read
        (its history was lost, and the members got a ``reset``): it is dropped.
        """
        held = self._held
        while held:
            offset, epoch, text = held[0]
            if (epoch == self.epoch and offset <= self.offset) or (synced and epoch != self.epoch):
                held.popleft()
            elif epoch == self.epoch and offset == self.offset + 1:
                held.popleft()
                self.offset = offset
                self._rooms.fan_out(self.room, text)
            else:
                # History has this message and everything before it: sync, then go on.
                self._resync = True
                return
