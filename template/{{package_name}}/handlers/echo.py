"""``{"type": "echo", "data": X}`` → ``{"type": "echo", "data": X}``."""

from typing import Literal

from pydantic import Field, JsonValue

from .base import Message, MsgHandler
from .factory import MsgHandlerFactory


class EchoMessage(Message):
    """Any JSON value to send back."""

    data: JsonValue = Field(examples=["hello"])


class EchoReply(Message):
    """The same JSON value, sent back."""

    type: Literal["echo"] = "echo"
    data: JsonValue


@MsgHandlerFactory.register
class EchoHandler(MsgHandler[EchoMessage]):
    """Sends the message's data straight back."""

    type = "echo"
    message_model = EchoMessage
    reply_model = EchoReply

    async def handle(self, message: EchoMessage) -> None:
        """Send the data back."""
        await self.reply(EchoReply(data=message.data))
