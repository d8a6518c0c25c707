"""Rooms: ``join``, ``leave`` and ``chat``, carried by the broker to every process.

``{"type": "join", "room": R}`` → ``{"type": "joined", "room": R}``;
``{"type": "leave", "room": R}`` → ``{"type": "left", "room": R}``;
``{"type": "chat", "room": R, "text": T}`` → every member of R, on every process, gets
``{"type": "chat", "room": R, "from": <user id>, "text": T}`` (the sender too, as the
confirmation that the message went out). Chatting in a room you have not joined gets a
40010 error frame; a broker that cannot carry the message gets a 50010 error frame.
"""

from typing import Annotated

from pydantic import StringConstraints

from ..broker import BrokerUnavailableError, get_broker
from ..status_codes import BROKER_UNAVAILABLE_50010, NOT_IN_ROOM_40010
from .base import Message, MsgHandler
from .factory import MsgHandlerFactory

MAX_ROOM_LENGTH = 64
MAX_TEXT_LENGTH = 4096

# Letters, digits, "_", "-", "." and ":": safe in logs, URLs and Redis channel names.
RoomName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ROOM_LENGTH, pattern=r"^[\w.:-]+$")
]
ChatText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH)]


class RoomMessage(Message):
    """A message about one room."""

    room: RoomName


class ChatMessage(RoomMessage):
    """A text for every member of the room."""

    text: ChatText


@MsgHandlerFactory.register
class JoinHandler(MsgHandler[RoomMessage]):
    """Makes the connection a member of the room (joining twice is harmless)."""

    type = "join"
    message_model = RoomMessage

    async def handle(self, message: RoomMessage) -> None:
        """Join, then confirm."""
        try:
            await get_broker(self.ws).join(message.room, self.ws)
        except BrokerUnavailableError:
            await self.ws.send_error(
                BROKER_UNAVAILABLE_50010, "rooms are unavailable, try again", room=message.room
            )
            return
        await self.ws.send_json({"type": "joined", "room": message.room})


@MsgHandlerFactory.register
class LeaveHandler(MsgHandler[RoomMessage]):
    """Ends the connection's membership of the room (leaving a room not joined is harmless)."""

    type = "leave"
    message_model = RoomMessage

    async def handle(self, message: RoomMessage) -> None:
        """Leave, then confirm."""
        await get_broker(self.ws).leave(message.room, self.ws)
        await self.ws.send_json({"type": "left", "room": message.room})


@MsgHandlerFactory.register
class ChatHandler(MsgHandler[ChatMessage]):
    """Publishes the text to every member of the room, on every process."""

    type = "chat"
    message_model = ChatMessage

    async def handle(self, message: ChatMessage) -> None:
        """Publish, or say why not: a chat is never dropped silently."""
        broker = get_broker(self.ws)
        room = message.room
        if not broker.is_member(room, self.ws):
            await self.ws.send_error(
                NOT_IN_ROOM_40010, f"join room {room!r} before chatting in it", room=room
            )
            return
        try:
            await broker.publish(
                room,
                {"type": "chat", "room": room, "from": self.current_user.id, "text": message.text},
            )
        except BrokerUnavailableError:
            await self.ws.send_error(
                BROKER_UNAVAILABLE_50010, "the message was not sent, try again", room=room
            )
