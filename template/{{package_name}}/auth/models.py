"""The authenticated user, as handlers see it."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class User:
    """Who is on the other end of a connection."""

    id: str
