# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""One chat session: receive frames, decode them once, dispatch by ``type``, answer errors.

Bad input never ends a session: every kind of bad frame gets an error frame with its own
status code (see `status_codes`) and the loop goes on. Starlette's ``iter_json()`` would
instead let one malformed frame kill the connection, which is why text is parsed here.
"""

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

import orjson
from fastapi import WebSocketDisconnect

from ..config import Settings
from ..handlers import BaseHandler, MsgHandlerFactory
from . import metrics
from .broker import get_broker, get_presence
from .connection import ClientConnection, answering
from .rate_limit import TokenBucket
from .status_codes import (
    BINARY_NOT_SUPPORTED_40007,
    INTERNAL_ERROR_50001,
    MALFORMED_JSON_40002,
    MESSAGE_TOO_BIG_41301,
    NOT_AN_OBJECT_40003,
    RATE_LIMITED_42901,
    UNSUPPORTED_JSON_40008,
)

logger = logging.getLogger(__name__)

# Messages refused in a row for going over the rate limit before the socket is closed.
RATE_LIMIT_STRIKES = 10
# Deepest nesting of objects and arrays a message may have: orjson parses deeper than it
# can encode, so a deeper message could not even be answered.
MAX_JSON_DEPTH = 64
# A refused frame is parsed for its id only up to this size: every valid chat fits (4096
# characters of text), and a flood of large frames costs no parsing.
MAX_ID_SCAN = 32 * 1024
# orjson keeps integers in [-2**63, 2**64) exact and turns others into floats without a
# word; a run of 19+ digits (2**63 has 19) is the cheap sign that a message may hold one.
MIN_INT, MAX_INT = -(2**63), 2**64 - 1
_LONG_DIGITS = re.compile(r"\d{19}")


class UnsupportedJSONError(ValueError):
    """Valid JSON that the service does not take (too deep, or an integer out of range)."""


def _checked_int(literal: str) -> int:
    value = int(literal)
    if not MIN_INT <= value <= MAX_INT:
        raise UnsupportedJSONError("integers must fit in 64 bits")
    return value


def decode_message(text: str) -> Any:
    """Parse one frame: ValueError if it is not JSON, UnsupportedJSONError if it is too much.

    orjson on the fast path; the standard library (exact integers, checked) only for
    frames with a 19-digit run; the depth walk only for frames with more brackets than
    MAX_JSON_DEPTH.
    """
    if _LONG_DIGITS.search(text):
        data = json.loads(text, parse_int=_checked_int, parse_constant=_no_constant)
    else:
        # orjson: faster than the standard library, and strict JSON (no NaN).
        data = orjson.loads(text)
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _depth(data) > MAX_JSON_DEPTH:
        raise UnsupportedJSONError(f"messages may nest at most {MAX_JSON_DEPTH} levels")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # as orjson: NaN and Infinity are refused


def _depth(data: Any) -> int:
    """How deeply objects and arrays nest in `data` (iterative: no recursion limit)."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def message_id(text: str) -> str | None:
    """The string ``"id"`` of a frame not dispatched (refused before), if it has one."""
    if len(text) > MAX_ID_SCAN or '"id"' not in text:
        return None  # the common case, without parsing
    try:
        data = decode_message(text)
    except (ValueError, RecursionError):
        return None
    found = data.get("id") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def too_big(text: str, max_bytes: int) -> bool:
    """True when `text` encodes to more than `max_bytes` UTF-8 bytes (encoding only if unsure)."""
    if len(text) > max_bytes:
        return True
    # A character is at most 4 bytes: most frames are decided without encoding them.
    return len(text) * 4 > max_bytes and len(text.encode()) > max_bytes


async def run_session(conn: ClientConnection, settings: Settings) -> None:
    """Serve `conn` until the client disconnects, a handler closes it or it falls behind.

    The connection's sender task runs for exactly as long; at the end the connection
    leaves every room it joined, and is present in none, however the session ended.
    """
    try:
        async with conn.sending():
            await receive_loop(conn, settings)
    finally:
        try:
            # First: its local part needs no await, so even a cancelled cleanup stops the
            # refresh (entries then expire and are swept, with their leave events).
            await get_presence(conn).remove_all(conn)
        finally:
            await get_broker(conn).leave_all(conn)


async def receive_loop(conn: ClientConnection, settings: Settings) -> None:
    """Receive and dispatch frames until the client disconnects or a handler closes the socket.

    Enforces the per-connection limits: MAX_MESSAGE_BYTES (41301, close 1009) and
    MAX_MESSAGES_PER_SECOND (42901 error frames, then close 1008 if it goes on).
    """
    websocket = conn.websocket
    max_bytes = settings.MAX_MESSAGE_BYTES
    bucket = TokenBucket(settings.MAX_MESSAGES_PER_SECOND)
    strikes = 0
    while conn.is_open:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            metrics.client_closed(message.get("code"))
            return
        text = message.get("text")
        if text is None:
            oversized = len(message.get("bytes") or b"") > max_bytes
        else:
            oversized = too_big(text, max_bytes)
        if oversized:
            logger.warning("closing: message over MAX_MESSAGE_BYTES=%d", max_bytes)
            await conn.refuse(
                MESSAGE_TOO_BIG_41301, "message too big", f"messages may be {max_bytes} bytes"
            )
            return
        if not bucket.allow():
            strikes += 1
            refused_id = None if text is None else message_id(text)
            token = answering.set(refused_id)
            try:
                if strikes >= RATE_LIMIT_STRIKES:
                    logger.warning("closing: rate limit exceeded %d times in a row", strikes)
                    metrics.connection_refused(metrics.RATE)
                    await conn.refuse(
                        RATE_LIMITED_42901,
                        "rate limit exceeded",
                        "rate limit exceeded; reconnect after a backoff",
                    )
                    return
                await conn.send_error(RATE_LIMITED_42901, "rate limit exceeded; slow down")
            finally:
                answering.reset(token)
            continue
        strikes = 0
        if text is None:
            await conn.send_error(
                BINARY_NOT_SUPPORTED_40007, "binary frames are not supported; send JSON text"
            )
            continue
        await dispatch(conn, text)


async def dispatch(conn: ClientConnection, text: str) -> None:
    """Decode one text frame and run the handler its ``type`` names."""
    try:
        request_data: Any = decode_message(text)
    except UnsupportedJSONError as exc:
        await conn.send_error(UNSUPPORTED_JSON_40008, f"unsupported JSON: {exc}")
        return
    except (ValueError, RecursionError):
        await conn.send_error(MALFORMED_JSON_40002, "message is not valid JSON")
        return
    if not isinstance(request_data, dict):
        await conn.send_error(NOT_AN_OBJECT_40003, "message must be a JSON object")
        return

    handler = MsgHandlerFactory.get_handler(
        ws=conn,
        token=conn.token,
        current_user=conn.user,
        request_data=request_data,
    )
    message_id = request_data.get("id")
    if isinstance(message_id, str):
        # Every error frame that answers this message names it (see `send_error`).
        token = answering.set(message_id)
        try:
            await _run(conn, handler, request_data)
        finally:
            answering.reset(token)
    else:
        await _run(conn, handler, request_data)


async def _run(conn: ClientConnection, handler: BaseHandler, request_data: dict[str, Any]) -> None:
    try:
        await handler.run()
    except WebSocketDisconnect:
        raise
    except Exception:
        # The traceback is for the log (with the request id); the client gets a code.
        logger.exception("handler for message type %r failed", request_data.get("type"))
        if conn.is_open:
            await conn.send_error(INTERNAL_ERROR_50001, "internal error")
