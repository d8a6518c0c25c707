# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Rooms: ``join``, ``leave``, ``chat`` and ``history``, carried by the broker to every process.

``{"type": "join", "room": R}`` → ``{"type": "joined", "room": R, "offset": N, "epoch": E}``;
with ``"since": {"offset": N, "epoch": E}`` the messages after N follow (``"recovered"``
says whether all of them could be); ``{"type": "leave", "room": R}`` →
``{"type": "left", "room": R}``; ``{"type": "chat", "room": R, "text": T}`` → every member
of R, on every process, gets ``{"type": "chat", "room": R, "from": <user id>, "text": T,
"offset": N, "epoch": E}`` (the sender too, as the confirmation that the message went out).
A chat with an ``"id"`` is published once per user and id, and the sender is answered
``{"type": "published", ...}`` with its offset, also for a retry. ``{"type": "history",
"room": R, "limit": L}`` → the last L messages (chats, and the ``event`` frames the
server-side API published). Joining, chatting in or reading a room the token's rights do
not allow gets a 40301 error frame (see ``access.py``); chatting in or reading a room you
have not joined gets 40010; a broker that certainly did not publish gets 50010, one that
cannot tell gets 50011 (retry with the same id).
"""

from time import perf_counter
from typing import Annotated, Any, Final, Literal, NotRequired

import orjson
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from typing_extensions import TypedDict

from .. import metrics
from ..broker import (
    BrokerUnavailableError,
    PublishOutcomeUnknownError,
    StreamPosition,
    get_broker,
    get_presence,
)
from ..broker.frames import ChatFrame, EventFrame, JoinedFrame
from ..connection import ClientConnection
from ..permissions import HISTORY, JOIN, PRESENCE, PUBLISH
from ..status_codes import (
    BROKER_UNAVAILABLE_50010,
    NOT_IN_ROOM_40010,
    PUBLISH_OUTCOME_UNKNOWN_50011,
)
from .access import allowed
from .base import Message, MsgHandler
from .factory import MsgHandlerFactory

MAX_ROOM_LENGTH = 64
MAX_TEXT_LENGTH = 4096
MAX_MESSAGE_ID_LENGTH = 64
MAX_EPOCH_LENGTH = 64

# Letters, digits, "_", "-", "." and ":": safe in logs, URLs and Redis channel names.
ROOM_PATTERN = r"^[\w.:-]+$"
RoomName = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_ROOM_LENGTH, pattern=ROOM_PATTERN)
]
ChatText = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_LENGTH)]
MessageId = Annotated[str, StringConstraints(min_length=1, max_length=MAX_MESSAGE_ID_LENGTH)]


class RoomMessage(Message):
    """A message about one room."""

    room: RoomName


class Since(BaseModel):
    """The last position a client saw: the ``offset`` and ``epoch`` of its last message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    offset: int = Field(ge=0, examples=[41])
    epoch: Annotated[str, StringConstraints(max_length=MAX_EPOCH_LENGTH)] = Field(
        examples=["5cae8c54"]
    )


class JoinMessage(RoomMessage):
    """Join a room; with ``since``, first get the messages missed after that position.

    With ``"presence": true``, also get the room's ``presence_join`` / ``presence_leave``
    events (see ``handlers/presence.py``).
    """

    since: Since | None = None
    presence: bool = False


class ChatMessage(RoomMessage):
    """A text for every member of the room; with an ``id``, published at most once."""

    text: ChatText
    # Unique per user: a retry with the same id (within HISTORY_TTL) is not published again.
    id: MessageId | None = None


class HistoryMessage(RoomMessage):
    """Ask for the room's last ``limit`` messages (at most HISTORY_SIZE are kept)."""

    limit: int = Field(ge=1, examples=[50])


# Why the service itself took a connection out of a room: its refreshed token's rights no
# longer allow joining it.
FORBIDDEN_REASON: Final = "forbidden"


class LeftReply(TypedDict):
    """No longer a member of the room; ``reason`` when the service ended the membership."""

    type: Literal["left"]
    room: str
    reason: NotRequired[Literal["forbidden"]]


class PublishedReply(TypedDict):
    """A chat with an ``id`` is in the room at this offset (``duplicate``: it was already)."""

    type: Literal["published"]
    room: str
    id: str
    offset: int
    epoch: str
    duplicate: bool


class HistoryReply(TypedDict):
    """The room's last messages (chats and events), oldest first, and its latest position."""

    type: Literal["history"]
    room: str
    offset: int
    epoch: str
    messages: list[ChatFrame | EventFrame]


async def is_member(ws: ClientConnection, room: str, doing: str) -> bool:
    """True when `ws` has joined `room`; otherwise it gets a 40010 error frame saying so."""
    if get_broker(ws).is_member(room, ws):
        return True
    await ws.send_error(NOT_IN_ROOM_40010, f"join room {room!r} before {doing}", room=room)
    return False


async def leave_room(ws: ClientConnection, room: str) -> None:
    """End `ws`'s membership of `room`, and its presence there.

    Every path that takes a connection out of a room goes through here, so that presence
    never outlives a membership (a leave, or rights that no longer allow the room).
    """
    await get_broker(ws).leave(room, ws)
    await get_presence(ws).remove(room, ws)


@MsgHandlerFactory.register
class JoinHandler(MsgHandler[JoinMessage]):
    """Makes the connection a member of the room (joining twice is harmless)."""

    type = "join"
    message_model = JoinMessage
    reply_model = JoinedFrame

    async def handle(self, message: JoinMessage) -> None:
        """Join: the broker sends ``joined`` and any recovered messages, in that order."""
        if not await allowed(self.ws, message.room, JOIN):
            return
        # Watching the events takes the `presence` right: refused whole, so a join is
        # either done as asked or not at all.
        if message.presence and not await allowed(self.ws, message.room, PRESENCE):
            return
        since = message.since
        position = None if since is None else StreamPosition(since.offset, since.epoch)
        try:
            await get_broker(self.ws).join(message.room, self.ws, position)
        except BrokerUnavailableError:
            await self.ws.send_error(
                BROKER_UNAVAILABLE_50010, "rooms are unavailable, try again", room=message.room
            )
            return
        presence = get_presence(self.ws)
        await presence.add(message.room, self.ws, self.current_user.id, watch=message.presence)


@MsgHandlerFactory.register
class LeaveHandler(MsgHandler[RoomMessage]):
    """Ends the connection's membership of the room (leaving a room not joined is harmless)."""

    type = "leave"
    message_model = RoomMessage
    reply_model = LeftReply

    async def handle(self, message: RoomMessage) -> None:
        """Leave, then confirm (once presence knows, so no event can follow ``left``)."""
        await leave_room(self.ws, message.room)
        reply: LeftReply = {"type": "left", "room": message.room}
        await self.reply(reply)


@MsgHandlerFactory.register
class ChatHandler(MsgHandler[ChatMessage]):
    """Publishes the text to every member of the room, on every process."""

    type = "chat"
    message_model = ChatMessage
    reply_model = PublishedReply

    async def handle(self, message: ChatMessage) -> None:
        """Publish, or say why not: a chat is never dropped silently."""
        broker = get_broker(self.ws)
        room = message.room
        # `can` first: no coroutine for the check on the path of every chat.
        if not self.ws.user.can(PUBLISH, room) and not await allowed(self.ws, room, PUBLISH):
            return
        if not await is_member(self.ws, room, "chatting in it"):
            return
        user_id = self.current_user.id
        frame: dict[str, Any] = {
            "type": "chat",
            "room": room,
            "from": user_id,
            "text": message.text,
        }
        message_key = None
        if message.id is not None:
            frame["id"] = message.id
            # Length-prefixed, so no user id and message id pair can spell another.
            message_key = f"{len(user_id)}:{user_id}:{message.id}"
        started = perf_counter()
        try:
            result = await broker.publish(room, frame, message_key=message_key)
        except PublishOutcomeUnknownError:
            await self.ws.send_error(
                PUBLISH_OUTCOME_UNKNOWN_50011,
                "the message may or may not have been sent: send it again with the same id",
                room=room,
            )
            return
        except BrokerUnavailableError:
            await self.ws.send_error(
                BROKER_UNAVAILABLE_50010, "the message was not sent, try again", room=room
            )
            return
        metrics.broker_published(perf_counter() - started)
        if message.id is not None:
            reply: PublishedReply = {
                "type": "published",
                "room": room,
                "id": message.id,
                "offset": result.position.offset,
                "epoch": result.position.epoch,
                "duplicate": result.duplicate,
            }
            await self.reply(reply)


@MsgHandlerFactory.register
class HistoryHandler(MsgHandler[HistoryMessage]):
    """Sends the room's last messages, in one frame (members only)."""

    type = "history"
    message_model = HistoryMessage
    reply_model = HistoryReply

    async def handle(self, message: HistoryMessage) -> None:
        """Read the room's history, or say why not."""
        broker = get_broker(self.ws)
        room = message.room
        if not await allowed(self.ws, room, HISTORY):
            return
        if not await is_member(self.ws, room, "reading its history"):
            return
        try:
            frames, position = await broker.history(room, message.limit)
        except BrokerUnavailableError:
            await self.ws.send_error(
                BROKER_UNAVAILABLE_50010, "history is unavailable, try again", room=room
            )
            return
        reply: HistoryReply = {
            "type": "history",
            "room": room,
            "offset": position.offset,
            "epoch": position.epoch,
            "messages": [orjson.loads(text) for text in frames],
        }
        await self.reply(reply)
