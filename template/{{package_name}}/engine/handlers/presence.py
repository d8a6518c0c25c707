# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Presence: who is in a room, across every process.

``{"type": "presence", "room": R}`` → ``{"type": "presence", "room": R, "users": [{"user":
"alice", "connections": 2}, ...], "total": N}``: at most PRESENCE_MAX_USERS users (sorted by
user id), and how many there are in all. It takes the ``presence`` right (else 40301)
and, as ``history``, membership: asking about a room not joined gets a 40010 error frame,
a broker that cannot answer 50010. Members that joined with ``"presence": true`` (which
also takes the right) get ``presence_join`` / ``presence_leave`` events
(``broker/presence.py``).
"""

from typing import Literal

from typing_extensions import TypedDict

from ..broker import BrokerUnavailableError, get_presence
from ..permissions import PRESENCE
from ..status_codes import BROKER_UNAVAILABLE_50010
from .access import allowed
from .base import MsgHandler
from .factory import MsgHandlerFactory
from .rooms import RoomMessage, is_member


class PresenceMessage(RoomMessage):
    """Ask who is in the room (members only; at most PRESENCE_MAX_USERS users listed)."""


class PresentUser(TypedDict):
    """One user in the room and how many connections it has there."""

    user: str
    connections: int


class PresenceReply(TypedDict):
    """Users in the room, sorted by id and capped; ``total`` counts them all."""

    type: Literal["presence"]
    room: str
    users: list[PresentUser]
    total: int


@MsgHandlerFactory.register
class PresenceHandler(MsgHandler[PresenceMessage]):
    """Lists the room's users, from every process (members only)."""

    type = "presence"
    message_model = PresenceMessage
    reply_model = PresenceReply

    async def handle(self, message: PresenceMessage) -> None:
        """Read the room's presence, or say why not."""
        room = message.room
        if not await allowed(self.ws, room, PRESENCE):
            return
        if not await is_member(self.ws, room, "asking who is in it"):
            return
        try:
            found = await get_presence(self.ws).users(room)
        except BrokerUnavailableError:
            await self.ws.send_error(
                BROKER_UNAVAILABLE_50010, "presence is unavailable, try again", room=room
            )
            return
        reply: PresenceReply = {
            "type": "presence",
            "room": room,
            "users": [{"user": user, "connections": count} for user, count in found.users],
            "total": found.total,
        }
        await self.reply(reply)
