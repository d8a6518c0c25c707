# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""``{"type": "ping"}`` → ``{"type": "pong"}``: a liveness check at the message level."""

from typing import Literal

from typing_extensions import TypedDict

from .base import Message, MsgHandler
from .factory import MsgHandlerFactory


class PingMessage(Message):
    """No fields besides ``type``."""


class PongReply(TypedDict):
    """The answer to a ping."""

    type: Literal["pong"]


@MsgHandlerFactory.register
class PingHandler(MsgHandler[PingMessage]):
    """Answers every ping with a pong."""

    type = "ping"
    message_model = PingMessage
    reply_model = PongReply

    async def handle(self, message: PingMessage) -> None:
        """Send the pong."""
        reply: PongReply = {"type": "pong"}
        await self.reply(reply)
