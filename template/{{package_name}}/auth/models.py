"""The authenticated user, as handlers see it."""

from dataclasses import dataclass

from ..permissions import EVERY_ROOM, Capability, Rights


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

    def can(self, capability: Capability, room: str) -> bool:
        """True when this user's token allows `capability` in `room` (no I/O)."""
        return self.rights.allows(self.id, room, capability)
