"""Django Channels: an ``AsyncWebsocketConsumer`` that relays to its group.

As the Channels tutorial writes its chat consumer: the consumer joins a group, its
``receive`` does ``group_send`` with a ``type`` naming a handler, the handler sends the
text on. ``channels.layers.InMemoryChannelLayer`` in the in-memory mode,
``channels_redis.pubsub.RedisPubSubChannelLayer`` (the Redis pub/sub layer) in the Redis
mode. Django is configured in this module so no project folder is needed.
``uvicorn bench.peers.channels_app:application``.
"""

from typing import Any

import django
from django.conf import settings

from bench.peers import ROOM, redis_url

url = redis_url()
settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    INSTALLED_APPS=["channels"],
    CHANNEL_LAYERS={
        "default": (
            {"BACKEND": "channels.layers.InMemoryChannelLayer"}
            if url is None
            else {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {"hosts": [url]},
            }
        )
    },
)
django.setup()

from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402 (needs setup())
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402


class RoomConsumer(AsyncWebsocketConsumer):
    """One WebSocket: a member of the room's group."""

    async def connect(self) -> None:
        """Join the group, then accept."""
        await self.channel_layer.group_add(ROOM, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        """Leave the group."""
        await self.channel_layer.group_discard(ROOM, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Send the chat to every member of the group."""
        await self.channel_layer.group_send(ROOM, {"type": "chat.message", "text": text_data})

    async def chat_message(self, event: dict[str, Any]) -> None:
        """A group message: write it to this member's socket."""
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter({"websocket": URLRouter([path("ws", RoomConsumer.as_asgi())])})
