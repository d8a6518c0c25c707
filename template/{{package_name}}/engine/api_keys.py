# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Bearer keys of the HTTP endpoints meant for machines (``/metrics``, the publish API)."""

import hmac
from collections.abc import Iterable

from fastapi import Request

BEARER_PREFIX = "bearer "


def bearer_key(request: Request) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header (any case), or None without one."""
    given = request.headers.get("authorization", "")
    if given[: len(BEARER_PREFIX)].lower() != BEARER_PREFIX:
        return None
    return given[len(BEARER_PREFIX) :].strip() or None


def matches_any(given: str, keys: Iterable[str]) -> bool:
    """True when `given` is one of `keys`, in constant time.

    Every key is compared, so the time taken tells an attacker neither how much of a key
    was right nor which one matched.
    """
    candidate = given.encode()
    found = False
    for key in keys:
        found |= hmac.compare_digest(candidate, key.encode())
    return found
