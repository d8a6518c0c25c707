# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Room permissions: which rooms a token may join, publish in, see the presence of, read back.

A token's rights are a table of room patterns, each with its capabilities::

    {"lobby": ["join", "publish"], "news:*": ["join", "history"]}

``*`` is the only wildcard: it stands for any run of room-name characters, none included
(``news:*`` matches ``news:`` and ``news:sport:eu``). Every pattern that matches a room
counts: a room's capabilities are the union of theirs. The table is compiled once per
token (static tokens at start-up, JWT claims when the token is checked), so a check at
message time is a set lookup or two and a few string comparisons, with no I/O.

Personal rooms, ``user:<id>``, follow their own rule whatever the table says: only user
``<id>`` may join them, read their history or see their presence, and nobody publishes
into them over the WebSocket (they carry what the service's backend sends through
``POST /api/rooms/{room}/messages``, e.g. notifications).
"""

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal, get_args

Capability = Literal["join", "publish", "presence", "history"]
JOIN: Final = "join"
PUBLISH: Final = "publish"
PRESENCE: Final = "presence"
HISTORY: Final = "history"
CAPABILITIES: tuple[Capability, ...] = get_args(Capability)

# Rooms named ``user:<id>`` belong to user <id> (see the module docstring).
PERSONAL_PREFIX = "user:"
OWNER_CAPABILITIES: frozenset[str] = frozenset({JOIN, HISTORY, PRESENCE})
WILDCARD = "*"
# Room-name characters (handlers/rooms.py), plus the wildcard; as long as a room name.
MAX_PATTERN_LENGTH = 64
_PATTERN = re.compile(r"[\w.:*-]+")
_NOTHING: frozenset[str] = frozenset()

RoomsTable = Mapping[str, Iterable[str]]


class Rights:
    """A compiled rights table: what a token may do in each room (see the module docstring).

    Immutable once built; equal when built from the same table.
    """

    __slots__ = ("_anywhere", "_exact", "_patterns", "_source")

    def __init__(self, rooms: RoomsTable) -> None:
        """Compile `rooms` (pattern → capabilities); ValueError names what is wrong with it."""
        source = {pattern: _capabilities(pattern, granted) for pattern, granted in rooms.items()}
        self._source = tuple(sorted((p, tuple(sorted(c))) for p, c in source.items()))
        # Split by cost at check time: "*" alone (granted everywhere), exact names (one dict
        # lookup), and the other patterns (one regular expression each).
        self._anywhere = source.pop(WILDCARD, _NOTHING)
        self._exact = {p: c for p, c in source.items() if WILDCARD not in p}
        self._patterns = tuple(
            (re.compile(".*".join(map(re.escape, p.split(WILDCARD)))), c)
            for p, c in source.items()
            if WILDCARD in p
        )

    def capabilities(self, room: str) -> frozenset[str]:
        """Everything the table grants in `room` (the personal-room rule not applied)."""
        granted = self._anywhere | self._exact.get(room, _NOTHING)
        for pattern, capabilities in self._patterns:
            if pattern.fullmatch(room):
                granted |= capabilities
        return granted

    def granted(self, user_id: str, room: str) -> frozenset[str]:
        """Everything user `user_id`, holding these rights, may do in `room`."""
        if room.startswith(PERSONAL_PREFIX):
            owner = room[len(PERSONAL_PREFIX) :] == user_id
            return OWNER_CAPABILITIES if owner else _NOTHING
        return self.capabilities(room)

    def allows(self, user_id: str, room: str, capability: str) -> bool:
        """True when user `user_id`, holding these rights, may do `capability` in `room`."""
        return capability in self.granted(user_id, room)

    def as_table(self) -> dict[str, list[str]]:
        """The table these rights were built from (capabilities sorted)."""
        return {pattern: list(capabilities) for pattern, capabilities in self._source}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Rights) and other._source == self._source

    def __hash__(self) -> int:
        return hash(self._source)

    def __repr__(self) -> str:
        return f"Rights({self.as_table()!r})"


def parse_rooms(value: object) -> Rights:
    """Rights from a decoded JSON ``rooms`` table; ValueError says what is wrong with it."""
    if not isinstance(value, Mapping):
        raise ValueError('"rooms" must be an object of room pattern → list of capabilities')
    return Rights(value)


def parse_grant(entry: object) -> tuple[str, Rights | None]:
    """One AUTH_TOKENS value: ``"alice"`` or ``{"user": "alice", "rooms": {...}}``.

    Returns the user id and its rights (None: no ``rooms``, so ROOMS_DEFAULT applies).
    ValueError says what is wrong, never naming the token.
    """
    if isinstance(entry, str):
        return _user_id(entry), None
    if not isinstance(entry, Mapping):
        raise ValueError('each token maps to a user id or to {"user": ..., "rooms": {...}}')
    unknown = set(entry) - {"user", "rooms"}
    if unknown:
        raise ValueError(f'unknown key(s) {sorted(unknown)}: only "user" and "rooms" are read')
    user = _user_id(entry.get("user"))
    if "rooms" not in entry:
        return user, None
    try:
        return user, parse_rooms(entry["rooms"])
    except ValueError as exc:
        raise ValueError(f"user {user!r}: {exc}") from None


def _user_id(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("user ids must be non-empty strings")
    return value


def _capabilities(pattern: object, capabilities: object) -> frozenset[str]:
    """The checked capabilities of one table entry."""
    if (
        not isinstance(pattern, str)
        or len(pattern) > MAX_PATTERN_LENGTH
        or not _PATTERN.fullmatch(pattern)
    ):
        raise ValueError(
            f"room pattern {pattern!r} must be 1-{MAX_PATTERN_LENGTH} letters, digits, "
            f'"_", "-", "." or ":", with "*" as the only wildcard'
        )
    if isinstance(capabilities, str) or not isinstance(capabilities, Iterable):
        raise ValueError(f"room pattern {pattern!r} needs a list of capabilities")
    listed: list[Any] = list(capabilities)
    unknown = [c for c in listed if c not in CAPABILITIES]
    if unknown:
        raise ValueError(
            f"unknown capability {unknown[0]!r} for room pattern {pattern!r}"
            f" (known: {', '.join(CAPABILITIES)})"
        )
    return frozenset(listed)


# Every room, every capability: today's behaviour, and ROOMS_DEFAULT's default.
EVERY_ROOM_TABLE: dict[str, list[str]] = {WILDCARD: list(CAPABILITIES)}
EVERY_ROOM = Rights(EVERY_ROOM_TABLE)
