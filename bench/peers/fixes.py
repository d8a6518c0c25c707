"""The smallest fixes two peers need in the Redis mode, applied in bench code (no fork).

Each is a subclass overriding one method; ``BENCH_UNPATCHED=1`` runs the peer as
released, so the report shows both figures.

broadcaster 0.3.1, ``redis://`` with redis-py 8 (delivers nothing at all):
    `RedisBackend.subscribe` sets ``_ready`` *before* it awaits
    ``PubSub.subscribe``, and redis-py records the channel in ``PubSub.channels`` only
    after the SUBSCRIBE command is written. The listener task wakes on ``_ready``, finds
    ``PubSub.subscribed`` false, so ``listen()`` returns at once; the listener clears
    ``_ready`` and waits for a set that never comes again (later subscribers of the channel
    do not call the backend). Fix: set ``_ready`` once the subscription is recorded.
    The loop that clears ``_ready`` came with encode/broadcaster#134 (issue #133).

broadcaster 0.3.1, `Broadcast.subscribe` (loses whole subscribers when they arrive together):
    the first subscriber of a channel awaits ``backend.subscribe`` before it records its
    queue; a second subscriber arriving meanwhile also sees no queue, subscribes again and
    then *replaces* the set, so the first one's queue is dropped and it gets nothing. The
    in-memory backend never yields there, so only ``redis://`` shows it. Fix: record the
    queue before awaiting the backend.

python-socketio 5.x, `AsyncRedisManager` (out of order on the other process, rarely):
    `AsyncServer` runs each event handler in its own task (``async_handlers=True``, the
    default), and each ``emit`` awaits ``redis.publish`` on a connection taken from a
    pool: concurrent emits can write their PUBLISH on different connections, and nothing
    orders one connection against another (e.g. while the pool opens a new one), so the
    other process can get the chats out of publish order (this process's own members get
    them in order). Seen once in this bench's runs, not reproduced on demand; this is our
    reading of the code. Fix: publish one at a time, in the order the emits reached
    ``_publish`` (an `asyncio.Lock` wakes its waiters first come, first served).
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import socketio
from broadcaster import Broadcast
from broadcaster._backends.redis import RedisBackend
from broadcaster._base import Event, Subscriber


class FixedRedisBackend(RedisBackend):
    """broadcaster's Redis backend, waking its listener only once the channel is subscribed."""

    async def subscribe(self, channel: str) -> None:
        """Subscribe first, then let the listener start ``listen()``."""
        await self._pubsub.subscribe(channel)
        self._ready.set()


class FixedBroadcast(Broadcast):
    """broadcaster's `Broadcast`, recording a subscriber's queue before it awaits the backend."""

    @asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[Subscriber]:
        """As released, except that the queue is in the channel's set before any await."""
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        members = self._subscribers.setdefault(channel, set())
        first = not members
        members.add(queue)
        try:
            if first:
                await self._backend.subscribe(channel)
            yield Subscriber(queue)
        finally:
            members.discard(queue)
            if not members and self._subscribers.get(channel) is members:
                del self._subscribers[channel]
                await self._backend.unsubscribe(channel)
            await queue.put(None)


class OrderedAsyncRedisManager(socketio.AsyncRedisManager):
    """python-socketio's Redis manager, publishing one message at a time, in emit order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._publish_lock = asyncio.Lock()

    async def _publish(self, data: Any) -> Any:
        async with self._publish_lock:
            return await super()._publish(data)
