# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""``{"type": "ping"}`` → ``{"type": "pong", "heartbeat": H}``: a liveness check in messages.

Browsers cannot see WebSocket pings, so a client pings right after connecting, then every
``heartbeat`` seconds (HEARTBEAT_INTERVAL), and takes a link on which nothing arrived for
twice that long as dead.
"""

from typing import Literal

from typing_extensions import TypedDict

from .base import Message, MsgHandler
from .factory import MsgHandlerFactory


class PingMessage(Message):
    """No fields besides ``type``."""


class PongReply(TypedDict):
    """The answer to a ping: ``heartbeat`` is the seconds between the client's pings."""

    type: Literal["pong"]
    heartbeat: float


@MsgHandlerFactory.register
class PingHandler(MsgHandler[PingMessage]):
    """Answers every ping with a pong."""

    type = "ping"
    message_model = PingMessage
    reply_model = PongReply

    async def handle(self, message: PingMessage) -> None:
        """Send the pong, with the service's heartbeat interval."""
        heartbeat = self.ws.websocket.app.state.settings.HEARTBEAT_INTERVAL
        reply: PongReply = {"type": "pong", "heartbeat": heartbeat}
        await self.reply(reply)
