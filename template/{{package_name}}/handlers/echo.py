"""``{"type": "echo", "data": X}`` → ``{"type": "echo", "data": X}``."""

from pydantic import JsonValue

from .base import Message, MsgHandler
from .factory import MsgHandlerFactory


class EchoMessage(Message):
    """Any JSON value to send back."""

    data: JsonValue


@MsgHandlerFactory.register
class EchoHandler(MsgHandler[EchoMessage]):
    """Sends the message's data straight back."""

    type = "echo"
    message_model = EchoMessage

    async def handle(self, message: EchoMessage) -> None:
        """Send the data back."""
        await self.ws.send_json({"type": "echo", "data": message.data})
