"""``{"type": "ping"}`` → ``{"type": "pong"}``: a liveness check at the message level."""

from .base import Message, MsgHandler
from .factory import MsgHandlerFactory


class PingMessage(Message):
    """No fields besides ``type``."""


@MsgHandlerFactory.register
class PingHandler(MsgHandler[PingMessage]):
    """Answers every ping with a pong."""

    type = "ping"
    message_model = PingMessage

    async def handle(self, message: PingMessage) -> None:
        """Send the pong."""
        await self.ws.send_json({"type": "pong"})
