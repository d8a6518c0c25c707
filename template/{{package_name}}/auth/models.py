"""The authenticated user, as handlers see it."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class User:
    """Who is on the other end of a connection, and until when (None: no expiry)."""

    id: str
    # Unix time at which the credential stops being valid (a JWT's `exp`, plus leeway):
    # the session is closed with 1008 "token expired" then, unless refreshed in-band.
    expires_at: float | None = None
