"""Authorizers: objects with ``async check_auth(token) -> User | None``, one per service.

Adding a way to authenticate is one class with that method, registered for a service
name in `build_authorizers`.
"""

import hmac
from collections.abc import Mapping
from typing import Protocol

from ..config import Settings
from .models import User


class Authorizer(Protocol):
    """Checks a token for one service."""

    async def check_auth(self, token: str) -> User | None:
        """Return the token's user, or None when the token is not valid."""
        ...


class StaticTokenAuthorizer:
    """Tokens from a fixed table (the ``AUTH_TOKENS`` setting), compared in constant time."""

    def __init__(self, tokens: Mapping[str, str]) -> None:
        self._tokens = [(token.encode(), user_id) for token, user_id in tokens.items()]

    async def check_auth(self, token: str) -> User | None:
        """Return the user whose token equals `token`, or None."""
        candidate = token.encode()
        found: str | None = None
        # Compare against every entry, so the time taken does not tell which one matched.
        for known, user_id in self._tokens:
            if hmac.compare_digest(known, candidate):
                found = user_id
        return User(id=found) if found is not None else None


def build_authorizers(settings: Settings) -> dict[str, Authorizer]:
    """The service → authorizer registry in force for these settings."""
    return {settings.SERVICE_NAME: StaticTokenAuthorizer(settings.auth_tokens)}
