"""FastAPI + encode/broadcaster: each socket subscribes to the room's channel.

As broadcaster's README writes its chat example: one ``Broadcast(url)`` connected in the
app's lifespan; per WebSocket, a receiver task publishing every text and a sender task
iterating ``broadcast.subscribe(channel=...)``, the first to finish cancelling the other.
``memory://`` in the in-memory mode, ``redis://`` in the Redis mode (with the fixes in
`bench.peers.fixes`, unless ``BENCH_UNPATCHED=1``). ``uvicorn bench.peers.broadcaster_app:app``.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from broadcaster import Broadcast
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from bench.peers import ROOM, patched, redis_url
from bench.peers.fixes import FixedBroadcast, FixedRedisBackend

url = redis_url()
if url is None:
    broadcast = Broadcast("memory://")
elif patched():
    broadcast = FixedBroadcast(backend=FixedRedisBackend(url))
else:
    broadcast = Broadcast(url)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Connect the broadcast for the app's lifetime."""
    async with broadcast:
        yield


app = FastAPI(lifespan=lifespan)


@app.websocket("/ws")
async def room(websocket: WebSocket) -> None:
    """Relay what this socket sends to the room, and what the room gets to this socket."""
    await websocket.accept()
    async with anyio.create_task_group() as group:

        async def receiver() -> None:
            try:
                async for text in websocket.iter_text():
                    await broadcast.publish(channel=ROOM, message=text)
            except WebSocketDisconnect:
                pass
            group.cancel_scope.cancel()

        async def sender() -> None:
            async with broadcast.subscribe(channel=ROOM) as subscriber:
                async for event in subscriber:
                    await websocket.send_text(event.message)

        group.start_soon(receiver)
        group.start_soon(sender)
