"""python-socketio: ``AsyncServer`` as an ASGI app, a "chat" event emitted to the room.

As its docs show: ``socketio.AsyncServer(async_mode="asgi")`` wrapped in
``socketio.ASGIApp``, ``enter_room`` in the ``connect`` handler, ``emit(..., room=...)``
in the event handler; ``client_manager=socketio.AsyncRedisManager(url)`` for the Redis
mode. ``uvicorn bench.peers.socketio_app:app``.
"""

from typing import Any

import socketio

from bench.peers import ROOM, patched, redis_url
from bench.peers.fixes import OrderedAsyncRedisManager

url = redis_url()
manager: socketio.AsyncManager | None = None
if url is not None:
    manager = OrderedAsyncRedisManager(url) if patched() else socketio.AsyncRedisManager(url)
sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager)
app = socketio.ASGIApp(sio)


@sio.event
async def connect(sid: str, environ: dict[str, Any]) -> None:
    """Every client joins the one room."""
    await sio.enter_room(sid, ROOM)


@sio.event
async def chat(sid: str, data: Any) -> None:
    """Relay the chat to the whole room, on every process."""
    await sio.emit("chat", data, room=ROOM)
