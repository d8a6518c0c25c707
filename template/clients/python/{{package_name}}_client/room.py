"""A joined room: its position in the room's stream, and the messages for the application."""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from .frames import Frame, Published, Reset


class Room:
    """One room of a `Client`, joined again with ``since`` on every reconnect.

    Iterate it for the room's ``chat`` and ``event`` frames, in offset order and each once
    (duplicates after a resume are dropped by offset within an epoch), and for a `Reset`
    where history could not fill a gap. Made by `Client.join`.
    """

    def __init__(
        self,
        name: str,
        publish: Callable[["Room", str, str | None], Awaitable[Published]],
        leave: Callable[["Room"], Awaitable[None]],
    ) -> None:
        self.name = name
        self._publish = publish
        self._leave = leave
        self.offset: int | None = None
        self.epoch: str | None = None
        # What the application has not taken yet, and its iteration waiting for more. A
        # deque and one future: cheaper per message than an asyncio.Queue.
        self._items: deque[Frame | Reset] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._error: BaseException | None = None
        self.ended = False
        # Set when the service confirmed the membership on the current session.
        self.joined = asyncio.Event()

    def __repr__(self) -> str:
        return f"Room({self.name!r}, offset={self.offset}, epoch={self.epoch!r})"

    async def publish(self, text: str, *, id: str | None = None) -> Published:
        """Publish `text` exactly once; returns the service's acknowledgement.

        Kept in the client's outbox and sent again after a reconnect, with the same id,
        until the service acknowledges it. Pass `id` to retry a publish whose earlier call
        failed with `CommandTimeoutError` (its ``message_id``). Raises `OutboxFullError` at once
        when too many publishes wait, `CommandTimeoutError` after the client's
        ``publish_timeout``, `ServiceError` when the service refused the message.
        """
        return await self._publish(self, text, id)

    async def leave(self) -> None:
        """Leave the room; its iteration ends."""
        await self._leave(self)

    def __aiter__(self) -> "Room":
        return self

    async def __anext__(self) -> Frame | Reset:
        items = self._items
        while not items:
            if self.ended:
                self._stop()
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return items.popleft()

    def _stop(self) -> NoReturn:
        if self._error is not None:
            raise self._error
        raise StopAsyncIteration

    def _push(self, item: Frame | Reset) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def since(self) -> dict[str, Any] | None:
        """The ``since`` of a join: the last position seen (None before the first join)."""
        if self.offset is None or self.epoch is None:
            return None
        return {"offset": self.offset, "epoch": self.epoch}

    def on_joined(self, frame: Frame, resumed: bool) -> None:
        """The service confirmed the membership (`resumed`: the join carried ``since``)."""
        offset, epoch = frame["offset"], frame["epoch"]
        if resumed and frame.get("recovered") is True and epoch == self.epoch:
            pass  # the missed messages follow, after our offset
        else:
            if resumed:
                self._push(Reset(self.name, offset, epoch))
            self.offset, self.epoch = offset, epoch
        self.joined.set()

    def on_reset(self, frame: Frame) -> None:
        """The service could not fill a gap in the live feed: carry on from its position."""
        self.offset, self.epoch = frame["offset"], frame["epoch"]
        self._push(Reset(self.name, self.offset, self.epoch))

    def on_message(self, frame: Frame) -> None:
        """A chat or event: kept when it is the next one of our epoch, dropped if seen."""
        offset = frame.get("offset")
        if frame.get("epoch") != self.epoch or type(offset) is not int:
            return
        if self.offset is None or offset > self.offset:
            self.offset = offset
            self._push(frame)

    def end(self, error: BaseException | None = None) -> None:
        """No more messages: left, or the client closed (`error` then ends iterations)."""
        if self.ended:
            return
        self.ended = True
        self._error = error
        self.joined.clear()
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
