# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The permission check every room handler makes first: ``await allowed(ws, room, capability)``.

Decided from the session's token alone (`User.can`, see ``permissions.py``): no I/O per
message. A refusal is answered here, so a handler only has to stop:

    if not await allowed(self.ws, message.room, PRESENCE):
        return
"""

from ..connection import ClientConnection
from ..permissions import HISTORY, JOIN, PRESENCE, PUBLISH, Capability
from ..status_codes import FORBIDDEN_40301

# What the refusal says the client tried, per capability.
_DOING: dict[str, str] = {
    JOIN: "join",
    PUBLISH: "publish in",
    HISTORY: "read the history of",
    PRESENCE: "see who is in",
}


async def allowed(ws: ClientConnection, room: str, capability: Capability) -> bool:
    """True when `ws`'s token allows `capability` in `room`; else a 40301 frame and False.

    Reads the connection's current user, so a refreshed token's rights apply at once.
    """
    if ws.user.can(capability, room):
        return True
    await ws.send_error(
        FORBIDDEN_40301,
        f"not allowed to {_DOING[capability]} room {room!r}",
        room=room,
        capability=capability,
    )
    return False
