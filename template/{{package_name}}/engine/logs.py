# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Logging with a request id on every line.

Each HTTP request and each WebSocket connection gets its own id (a contextvar), and
every record, from this package, uvicorn or any library, carries it.
"""

import logging
import logging.config
import re
from contextvars import ContextVar, Token
from typing import Any
from urllib.parse import unquote_plus

from websockets.frames import Frame

_request_id: ContextVar[str] = ContextVar("request_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)-8s [%(request_id)s] %(name)s: %(message)s"

REDACTED = "[REDACTED]"
# Query parameters whose values are credentials, compared after decoding the name as the
# framework does (`?%74oken=`, `?tok%65n=` and `?token=` are all the token).
SECRET_PARAMETERS = frozenset({"token", "access_token"})
# `name=value` in free text: the name as it may be spelled in a URL (percent-encoded or
# not), the value up to the next separator.
_PARAMETER = re.compile(
    r"(?P<name>(?:[\w.~+-]|%[0-9A-Fa-f]{2})+)=(?P<value>\[REDACTED\]|[^\s&#'\",;\]]*)"
)
_SECRETS = re.compile(
    # The `bearer.<token>` subprotocol entry and `Authorization: Bearer <token>`.
    r"(?i)(?P<bearer>\bbearer[.\s]+)[^\s&#'\",;\]]+"
    # A `"token": "..."` field of a JSON frame (or `'token': '...'` of a Python repr).
    r"|(?P<field>(?P<q>[\"'])(?:access_)?token(?P=q)\s*:\s*)(?P=q)(?:(?!(?P=q))[^\\]|\\.)*(?P=q)?"
    # Anything shaped like a JWT (base64 of '{"' starts every one), wherever it appears.
    r"|\beyJ[\w-]{6,}(?:\.[\w-]*){0,2}"
)


def _is_secret_parameter(name: str) -> bool:
    return unquote_plus(name).strip().lower() in SECRET_PARAMETERS


def _redact_parameter(match: re.Match[str]) -> str:
    if _is_secret_parameter(match["name"]):
        return f"{match['name']}={REDACTED}"
    return match[0]


def _redact_secret(match: re.Match[str]) -> str:
    if match["bearer"]:
        return f"{match['bearer']}{REDACTED}"
    if match["field"]:
        return f"{match['field']}{match['q']}{REDACTED}{match['q']}"
    return REDACTED


def redact(text: str) -> str:
    """Replace every credential in `text` with ``[REDACTED]``."""
    return _SECRETS.sub(_redact_secret, _PARAMETER.sub(_redact_parameter, text))


def redact_url(url: str) -> str:
    """`url` with the value of every credential query parameter replaced, whatever it holds.

    Exact where `redact` must guess: the query is split on ``&`` as the framework splits
    it, so a token with quotes, commas or brackets in it is redacted whole.
    """
    path, mark, query = url.partition("?")
    if not mark:
        return url
    pairs = query.split("&")
    for index, pair in enumerate(pairs):
        name, equals, _ = pair.partition("=")
        if equals and _is_secret_parameter(name):
            pairs[index] = f"{name}={REDACTED}"
    return f"{path}?{'&'.join(pairs)}"


def set_request_id(request_id: str) -> Token[str]:
    """Make `request_id` the id of every log line written in the current context."""
    return _request_id.set(request_id)


def get_request_id() -> str:
    """The current context's request id (``-`` outside any request)."""
    return _request_id.get()


def reset_request_id(token: Token[str]) -> None:
    """Restore the request id that was current before `set_request_id` returned `token`."""
    _request_id.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id``; installed on handlers so propagated records get it too."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Stamp the record with the current request id; never drops a record."""
        record.request_id = _request_id.get()
        return True


class RedactingFormatter(logging.Formatter):
    """Formats records, then removes credentials from the whole line, tracebacks included.

    Arguments are cleaned before they are put into the message: URLs exactly (`redact_url`,
    e.g. the path uvicorn logs for every WebSocket), and WebSocket frames (logged by the
    websockets library at DEBUG) shown as type and size only, unless `log_contents`.
    """

    def __init__(self, *args: Any, log_contents: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.log_contents = log_contents

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record with every credential redacted."""
        if isinstance(record.args, tuple) and record.args:
            args = tuple(self._clean(arg) for arg in record.args)
            if args != record.args:
                # A copy: other handlers must see the record as it was logged.
                record = logging.makeLogRecord({**record.__dict__, "args": args})
        return redact(super().format(record))

    def _clean(self, arg: object) -> object:
        if isinstance(arg, str):
            return redact_url(arg) if "?" in arg else arg
        if isinstance(arg, Frame) and not self.log_contents:
            return f"{arg.opcode.name} [{len(arg.data)} bytes]"
        return arg


def configure_logging(level: str, *, log_contents: bool = False) -> None:
    """Route the root, uvicorn and access loggers through one request-id-aware handler.

    `log_contents` (LOG_MESSAGE_CONTENTS) lets DEBUG lines show what frames carry.
    """
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {
                "default": {
                    "()": RedactingFormatter,
                    "fmt": LOG_FORMAT,
                    "log_contents": log_contents,
                }
            },
            "handlers": {
                "default": {
                    "class": "logging.StreamHandler",
                    "formatter": "default",
                    "filters": ["request_id"],
                    "stream": "ext://sys.stderr",
                }
            },
            "root": {"handlers": ["default"], "level": level},
            "loggers": {
                # uvicorn installs handlers of its own on these; send them to ours.
                name: {"handlers": [], "level": level, "propagate": True}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
        }
    )
