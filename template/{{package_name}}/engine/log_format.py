# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""``LOG_FORMAT=json``: one JSON object per log line, for log collectors.

Each line holds ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``request_id``, ``user_id``
(the authenticated user of the WebSocket session, ``-`` elsewhere) and ``message``, plus
``exception`` when there is a traceback. Credentials are redacted from every text with the
same `redact` as the plain-text lines.
"""

import logging
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import orjson

from .logs import redact

TEXT, JSON = "text", "json"
NO_VALUE = "-"

_user_id: ContextVar[str] = ContextVar("user_id", default=NO_VALUE)


def set_user_id(user_id: str) -> None:
    """Make `user_id` the user of every log line written in the current context.

    Called once per WebSocket session, in the task that serves only that session.
    """
    _user_id.set(user_id)


class JsonFormatter(logging.Formatter):
    """Formats each record as one JSON object on one line, credentials redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as compact JSON (a traceback goes into ``exception``, not new lines)."""
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", NO_VALUE),
            "user_id": _user_id.get(),
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = redact(self.formatStack(record.stack_info))
        # default=str: a message argument may be any object; its text is already in "message".
        return orjson.dumps(line, default=str).decode()


def use_log_format(log_format: str) -> None:
    """Switch the root logger's handlers (set up by `configure_logging`) to `log_format`."""
    if log_format != JSON:
        return
    formatter = JsonFormatter()
    for handler in logging.getLogger().handlers:
        handler.setFormatter(formatter)
