# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""``{"type": "refresh", "token": T}`` → ``{"type": "refreshed", "expires_at": <Unix time>}``.

A session lives as long as its token: when the token expires (a JWT's ``exp``), the
session is closed with 1008 "token expired". A client that wants to stay connected sends
a new token for the same user before then; the session carries on under it, with the new
token's rights: every room they no longer allow joining is left, and the client gets
``{"type": "left", "room": R, "reason": "forbidden"}`` for each, after ``refreshed``. A
refused refresh gets a 40009 error frame and changes nothing.
"""

from typing import Literal

from pydantic import Field
from typing_extensions import TypedDict

from ...auth import AuthError, authorizer_for
from ...auth.dependency import INVALID_TOKEN
from ..broker import get_broker, get_presence
from ..permissions import JOIN, PRESENCE
from ..status_codes import REFRESH_REFUSED_40009
from .base import Message, MsgHandler
from .factory import MsgHandlerFactory
from .rooms import FORBIDDEN_REASON, LeftReply, leave_room

OTHER_USER = "the token is for another user"


class RefreshMessage(Message):
    """A new token for the user of this session."""

    token: str = Field(min_length=1, examples=["<a new token>"])


class RefreshedReply(TypedDict):
    """The session now ends when the new token expires (null: never)."""

    type: Literal["refreshed"]
    expires_at: float | None


@MsgHandlerFactory.register
class RefreshHandler(MsgHandler[RefreshMessage]):
    """Moves the session to a new token for the same user, before the old one expires."""

    type = "refresh"
    message_model = RefreshMessage
    reply_model = RefreshedReply
    # After `refreshed`: one per room the new token may no longer join.
    more_replies = (LeftReply,)

    async def handle(self, message: RefreshMessage) -> None:
        """Check the token as at connect time, then carry on under it."""
        authorizer = authorizer_for(self.ws.websocket)
        try:
            user = await authorizer.check_auth(message.token) if authorizer else None
        except AuthError as exc:
            await self._refuse(str(exc))
            return
        if user is None:
            await self._refuse(INVALID_TOKEN)
        elif user.id != self.ws.user.id:
            await self._refuse(OTHER_USER)
        else:
            self.ws.reauthenticate(user, message.token)
            # Left before anything is sent: no frame of a forbidden room follows `refreshed`.
            rooms = get_broker(self.ws).rooms_of(self.ws)
            forbidden = [room for room in rooms if not user.can(JOIN, room)]
            for room in forbidden:
                await leave_room(self.ws, room)
            # Rooms kept without the `presence` right stop sending presence events.
            presence = get_presence(self.ws)
            for room in rooms:
                if room not in forbidden and not user.can(PRESENCE, room):
                    await presence.add(room, self.ws, user.id, watch=False)
            reply: RefreshedReply = {"type": "refreshed", "expires_at": user.expires_at}
            await self.reply(reply)
            for room in sorted(forbidden):
                left: LeftReply = {"type": "left", "room": room, "reason": FORBIDDEN_REASON}
                await self.reply(left)

    async def _refuse(self, reason: str) -> None:
        await self.ws.send_error(REFRESH_REFUSED_40009, f"token refresh refused: {reason}")
