"""What a room yields and a publish returns, and the service's statuses the client acts on."""

from dataclasses import dataclass
from typing import Any

# A room message as the service sent it: ``chat`` (room, from, text, offset, epoch, id?)
# or ``event`` (room, data, offset, epoch).
Frame = dict[str, Any]

TOKEN_REFUSED_40001 = 40001
TOKEN_EXPIRED_40101 = 40101
NOT_IN_ROOM_40010 = 40010
FORBIDDEN_40301 = 40301
RATE_LIMITED_42901 = 42901
BROKER_UNAVAILABLE_50010 = 50010
PUBLISH_OUTCOME_UNKNOWN_50011 = 50011
# A publish answered with one of these is sent again, with the same id.
RETRIED_STATUSES = frozenset(
    {NOT_IN_ROOM_40010, RATE_LIMITED_42901, BROKER_UNAVAILABLE_50010, PUBLISH_OUTCOME_UNKNOWN_50011}
)


@dataclass(frozen=True)
class Published:
    """The service's acknowledgement of one publish: where the message is in the room.

    ``duplicate``: the service had already published this id (an earlier attempt whose
    answer was lost); it is in the room once, at this offset.
    """

    id: str
    room: str
    offset: int
    epoch: str
    duplicate: bool


@dataclass(frozen=True)
class Reset:
    """Messages of the room were lost for this client; the room carries on from here.

    Yielded by a room when history could not fill a gap: the service restarted without
    its history (memory broker: a new ``epoch``), or the client was away longer than
    HISTORY_SIZE / HISTORY_TTL cover. Re-read what matters from your own store.
    """

    room: str
    offset: int
    epoch: str
