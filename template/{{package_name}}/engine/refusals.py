# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Refusals that end a session: an error frame first, then a close whose reason says why.

The reason starts with the status and a space (``"42901 rate limit exceeded"``): a
browser's ``close`` event carries no frame, and a client that missed the frame still
learns whether to stop (1008 with 40001 or 40101: a new token first) or to back off and
come back (42901, and every 1013).
"""

from collections.abc import Mapping
from contextlib import suppress
from types import MappingProxyType
from typing import Any, Final

from fastapi import WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketDisconnected

from . import metrics
from .close_codes import MESSAGE_TOO_BIG, POLICY_VIOLATION, TRY_AGAIN_LATER, checked_close_code
from .codec import encode_frame
from .status_codes import (
    ANONYMOUS_ACCESS_OFF_40302,
    AUTHENTICATION_FAILED_40001,
    CLIENT_TOO_SLOW_50302,
    MESSAGE_TOO_BIG_41301,
    RATE_LIMITED_42901,
    SERVER_AT_CAPACITY_50301,
    TOKEN_EXPIRED_40101,
)

# The close code that follows each session-ending status.
CLOSE_CODES: Final[Mapping[int, int]] = MappingProxyType(
    {
        AUTHENTICATION_FAILED_40001: POLICY_VIOLATION,
        TOKEN_EXPIRED_40101: POLICY_VIOLATION,
        ANONYMOUS_ACCESS_OFF_40302: POLICY_VIOLATION,
        MESSAGE_TOO_BIG_41301: MESSAGE_TOO_BIG,
        RATE_LIMITED_42901: POLICY_VIOLATION,
        SERVER_AT_CAPACITY_50301: TRY_AGAIN_LATER,
        CLIENT_TOO_SLOW_50302: TRY_AGAIN_LATER,
    }
)
# RFC 6455: a close frame's payload is at most 125 bytes, 2 of which are the code.
MAX_REASON_BYTES = 123


def close_reason(status: int, text: str) -> str:
    """``"<status> <text>"``, cut to `MAX_REASON_BYTES` UTF-8 bytes (never mid-character)."""
    reason = f"{status} {text}"
    encoded = reason.encode()
    if len(encoded) <= MAX_REASON_BYTES:
        return reason
    return encoded[:MAX_REASON_BYTES].decode(errors="ignore")


def error_frame(status: int, message: str, **details: Any) -> dict[str, Any]:
    """The error frame ``{"status": ..., "message": ..., **details}``."""
    return {"status": status, "message": message, **details}


def close_of(status: int, text: str) -> tuple[int, str]:
    """The close code and the close reason that end a session refused with `status`."""
    return checked_close_code(CLOSE_CODES[status]), close_reason(status, text)


def refusal(status: int, text: str, message: str | None = None) -> tuple[str, int, str]:
    """The encoded error frame, the close code and the close reason of a refusal."""
    frame = encode_frame(error_frame(status, text if message is None else message))
    return frame, *close_of(status, text)


async def refuse(websocket: WebSocket, status: int, text: str, message: str | None = None) -> None:
    """End an accepted socket that has no session (yet): the error frame, then the close.

    `text` is the close reason after the status; `message` the frame's (default: `text`).
    A client already gone is no error.
    """
    frame, code, reason = refusal(status, text, message)
    metrics.error_frame(status)
    with suppress(WebSocketDisconnect, WebSocketDisconnected, OSError):
        await websocket.send_text(frame)
        await websocket.close(code=code, reason=reason)
