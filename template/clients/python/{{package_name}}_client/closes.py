"""Why a session ended, and what the client does next: reconnect, new token, or stop."""

import re
from enum import Enum

from .frames import RATE_LIMITED_42901, TOKEN_EXPIRED_40101, TOKEN_REFUSED_40001

# The service starts a refusal's close reason with its 5-digit status and a space.
_STATUS_PREFIX = re.compile(r"^(\d{5})(?: |$)")
# Close codes that say "come back": going away, abnormal, internal error, restart, busy.
_RECONNECT_CODES = frozenset({1000, 1001, 1006, 1011, 1012, 1013})
POLICY_VIOLATION = 1008
# Statuses that end a session (sent in an error frame just before the close).
SESSION_ENDING = frozenset({TOKEN_REFUSED_40001, TOKEN_EXPIRED_40101, RATE_LIMITED_42901})


class Verdict(Enum):
    """What to do after a session ended."""

    RECONNECT = "reconnect"
    NEW_TOKEN = "new token"
    STOP = "stop"


def close_status(reason: str, last_error: int | None) -> int | None:
    """The service's status for a close: from the reason, else the error frame before it."""
    match = _STATUS_PREFIX.match(reason)
    if match:
        return int(match.group(1))
    return last_error if last_error in SESSION_ENDING else None


def verdict(code: int, status: int | None) -> Verdict:
    """Decide from the close `code` and the service's `status` (None: it gave none)."""
    if status in (TOKEN_REFUSED_40001, TOKEN_EXPIRED_40101):
        return Verdict.NEW_TOKEN
    if code in _RECONNECT_CODES or (code == POLICY_VIOLATION and status == RATE_LIMITED_42901):
        return Verdict.RECONNECT
    return Verdict.STOP


def handshake_verdict(http_status: int) -> Verdict:
    """A refused handshake: 4xx is final (origin, path, auth); anything else may pass."""
    return Verdict.STOP if 400 <= http_status < 500 else Verdict.RECONNECT
