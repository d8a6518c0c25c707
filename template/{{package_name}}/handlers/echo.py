"""``{"type": "echo", "data": X}`` → ``{"type": "echo", "data": X}``."""

from typing import Any, Literal

from pydantic import Field
from typing_extensions import TypedDict

from .base import Message, MsgHandler
from .factory import MsgHandlerFactory


# `Any`, not pydantic's `JsonValue`: the value was just decoded from JSON, so it is JSON
# already, and re-validating it recursively doubled the cost of an echo.
class EchoMessage(Message):
    """Any JSON value to send back."""

    data: Any = Field(examples=["hello"])


class EchoReply(TypedDict):
    """The same JSON value, sent back."""

    type: Literal["echo"]
    data: Any


@MsgHandlerFactory.register
class EchoHandler(MsgHandler[EchoMessage]):
    """Sends the message's data straight back."""

    type = "echo"
    message_model = EchoMessage
    reply_model = EchoReply

    async def handle(self, message: EchoMessage) -> None:
        """Send the data back."""
        reply: EchoReply = {"type": "echo", "data": message.data}
        await self.reply(reply)
