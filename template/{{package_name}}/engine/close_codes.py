# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The WebSocket close codes this service sends (RFC 6455 §7.4), and nothing else.

An invalid code (such as 100) makes the server's protocol layer raise, and the client
sees only an abnormal 1006. Every close in this package goes through `checked_close_code`,
so an invalid code fails loudly in tests instead of on a client.
"""

from starlette import status

NORMAL_CLOSURE = status.WS_1000_NORMAL_CLOSURE
GOING_AWAY = status.WS_1001_GOING_AWAY
UNSUPPORTED_DATA = status.WS_1003_UNSUPPORTED_DATA
POLICY_VIOLATION = status.WS_1008_POLICY_VIOLATION
MESSAGE_TOO_BIG = status.WS_1009_MESSAGE_TOO_BIG
INTERNAL_ERROR = status.WS_1011_INTERNAL_ERROR
SERVICE_RESTART = 1012
TRY_AGAIN_LATER = 1013

SENDABLE = frozenset(
    {
        NORMAL_CLOSURE,
        GOING_AWAY,
        UNSUPPORTED_DATA,
        POLICY_VIOLATION,
        MESSAGE_TOO_BIG,
        INTERNAL_ERROR,
        SERVICE_RESTART,
        TRY_AGAIN_LATER,
    }
)


def checked_close_code(code: int) -> int:
    """Return `code` if a server may send it; raise ValueError otherwise.

    Application codes 4000-4999 are allowed; 1004-1006 and 1015 are reserved and
    must never appear on the wire.
    """
    if code in SENDABLE or 4000 <= code <= 4999:
        return code
    raise ValueError(f"{code} is not a valid WebSocket close code to send")
