# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The frames the broker itself sends to room members, and how they are built.

The handlers' replies are in ``handlers/rooms.py``; these are the ones that come from the
room's feed: ``joined`` (it must come before the recovered messages, so the broker sends
it), ``reset`` (a member's position is gone) and the room messages themselves (``chat``
from members, ``event`` from the server-side publish API).
"""

from typing import Any, Literal, NotRequired

from typing_extensions import TypedDict

from .. import metrics
from ..codec import encode_frame
from .base import StreamPosition


class JoinedFrame(TypedDict):
    """Membership confirmed: the room's latest offset (0: none yet) and epoch.

    ``recovered`` is there when the join asked to resume (``since``): true when every
    message after that position follows this frame, in order, before the live ones;
    false when some are gone (another epoch, or older than the history kept).
    """

    type: Literal["joined"]
    room: str
    offset: int
    epoch: str
    recovered: NotRequired[bool]


class ResetFrame(TypedDict):
    """Messages of the room were lost for this member: history resumes at this position.

    Sent when the service could not fill a gap in the room's live feed (the history was
    trimmed or lost, e.g. Redis restarted). Re-read what matters (e.g. ``history``).
    """

    type: Literal["reset"]
    room: str
    offset: int
    epoch: str


# The functional form, because a chat names its sender in "from", a Python keyword.
ChatFrame = TypedDict(
    "ChatFrame",
    {
        "type": Literal["chat"],
        "room": str,
        "from": str,
        "text": str,
        "id": NotRequired[str],
        "offset": int,
        "epoch": str,
    },
)
ChatFrame.__doc__ = """A chat in a room, as every member receives it (the sender too).

``offset`` counts the room's messages; ``id`` is the sender's message id, when it gave one.
"""


class EventFrame(TypedDict):
    """What the service's backend published to the room (``POST /api/rooms/{room}/messages``).

    ``data`` is the request's JSON as sent; ``offset`` and ``epoch`` are those of every room
    message, so history and resuming cover events as they cover chats.
    """

    type: Literal["event"]
    room: str
    data: Any
    offset: int
    epoch: str


def joined_frame(room: str, position: StreamPosition, recovered: bool | None) -> str:
    """The encoded ``joined`` frame; a resumed join (`recovered` set) is counted by outcome.

    Every join is answered through here (by the room's feed), whatever the engine.
    """
    frame: JoinedFrame = {
        "type": "joined",
        "room": room,
        "offset": position.offset,
        "epoch": position.epoch,
    }
    if recovered is not None:
        frame["recovered"] = recovered
        metrics.recovery(recovered)
    return encode_frame(frame)


def reset_frame(room: str, position: StreamPosition) -> str:
    """The encoded ``reset`` frame."""
    frame: ResetFrame = {
        "type": "reset",
        "room": room,
        "offset": position.offset,
        "epoch": position.epoch,
    }
    return encode_frame(frame)


# What room members receive without asking, for the AsyncAPI document (``asyncapi.py``).
PUSHED_FRAMES: tuple[type[Any], ...] = (ChatFrame, EventFrame, ResetFrame)
