"""Logging with a request id on every line.

Each HTTP request and each WebSocket connection gets its own id (a contextvar), and
every record, from this package, uvicorn or any library, carries it.
"""

import logging
import logging.config
import re
from contextvars import ContextVar, Token

_request_id: ContextVar[str] = ContextVar("request_id", default="-")

LOG_FORMAT = "%(asctime)s %(levelname)-8s [%(request_id)s] %(name)s: %(message)s"

REDACTED = "[REDACTED]"
# Credentials that reach log lines: `?token=` in URLs (uvicorn logs every WebSocket
# path with its query string, at INFO, even with --no-access-log) and the
# `bearer.<token>` subprotocol entry.
_SECRETS = re.compile(r"(?i)(\b(?:access_)?token=|\bbearer[.\s]+)[^\s&#'\",;\]]+")


def redact(text: str) -> str:
    """Replace every credential in `text` with ``[REDACTED]``."""
    return _SECRETS.sub(rf"\g<1>{REDACTED}", text)


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
    """Formats records, then removes credentials from the whole line, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record with every credential redacted."""
        return redact(super().format(record))


def configure_logging(level: str) -> None:
    """Route the root, uvicorn and access loggers through one request-id-aware handler."""
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "filters": {"request_id": {"()": RequestIdFilter}},
            "formatters": {"default": {"()": RedactingFormatter, "format": LOG_FORMAT}},
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
