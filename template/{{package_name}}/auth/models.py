"""The authenticated user, as handlers see it."""

from dataclasses import dataclass, field

from ..engine.permissions import EVERY_ROOM, Capability, Rights

# Rooms whose decision a user keeps (see `User.can`); past it, the memo starts afresh, so
# a client probing endless room names costs CPU, never memory.
MAX_DECIDED_ROOMS = 256


@dataclass(frozen=True, slots=True)
class User:
    """Who is on the other end of a connection, what their token allows, and until when.

    The rights belong to the token, not to the user id: the same user may hold tokens
    with different rights, and each session gets its own token's (see `permissions`).
    """

    id: str
    # Unix time at which the credential stops being valid (a JWT's `exp`, plus leeway):
    # the session is closed with 1008 "token expired" then, unless refreshed in-band.
    expires_at: float | None = None
    rights: Rights = EVERY_ROOM
    # Room → what this user may do there, decided once: a chat costs one dict lookup.
    _decided: dict[str, frozenset[str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def can(self, capability: Capability, room: str) -> bool:
        """True when this user's token allows `capability` in `room` (no I/O)."""
        granted = self._decided.get(room)
        if granted is None:
            if len(self._decided) >= MAX_DECIDED_ROOMS:
                self._decided.clear()
            granted = self._decided[room] = self.rights.granted(self.id, room)
        return capability in granted
