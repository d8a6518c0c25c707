# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The error frame in the AsyncAPI document: every status code, and which end the session."""

import re
from typing import Any

from ..auth.dependency import INVALID_TOKEN
from . import status_codes
from .close_codes import POLICY_VIOLATION
from .permissions import CAPABILITIES
from .refusals import CLOSE_CODES
from .schema_limits import with_limits

ERROR_MESSAGE = "error"
ERROR_TITLE = "ErrorFrame"
_STATUS_NAME = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)_(?P<code>\d{5})$")


def status_codes_table() -> dict[int, str]:
    """Every application status code in `status_codes`, with its name in plain words."""
    table: dict[int, str] = {}
    for name, value in vars(status_codes).items():
        match = _STATUS_NAME.match(name)
        if match and isinstance(value, int):
            table[value] = match["name"].lower().replace("_", " ")
    return dict(sorted(table.items()))


def error_message() -> dict[str, Any]:
    """The error frame's message: every status, the payload, and examples."""
    codes = status_codes_table()
    ending = {status: f" (ends the session: close {code})" for status, code in CLOSE_CODES.items()}
    return {
        "name": ERROR_MESSAGE,
        "title": "error (service → client)",
        "summary": "Why a frame could not be handled; only the refusals marked end the session.",
        "description": "\n".join(
            f"- `{code}`: {meaning}{ending.get(code, '')}" for code, meaning in codes.items()
        ),
        "payload": with_limits(
            {
                "title": ERROR_TITLE,
                "description": "Why a message could not be handled, or why the session ends.",
                "type": "object",
                "required": ["status", "message"],
                "properties": {
                    "status": {
                        "title": "Status",
                        "type": "integer",
                        "oneOf": [{"const": code, "title": name} for code, name in codes.items()],
                    },
                    "message": {"title": "Message", "type": "string"},
                    "id": {
                        "title": "Id",
                        "type": "string",
                        "description": "The `id` of the message this frame answers, if it had one.",
                    },
                    "room": {
                        "title": "Room",
                        "type": "string",
                        "description": "The room the refused request named.",
                    },
                    "capability": {
                        "title": "Capability",
                        "type": "string",
                        "enum": list(CAPABILITIES),
                        "description": "With 40301: what the token's rights do not allow there.",
                    },
                    "errors": {
                        "title": "Errors",
                        "type": "array",
                        "description": "With 40006: what is wrong with each field.",
                        "items": {
                            "title": "FieldError",
                            "description": "What is wrong with one field of the message.",
                            "type": "object",
                            "required": ["loc", "msg", "type"],
                            "properties": {
                                "loc": {
                                    "title": "Loc",
                                    "type": "array",
                                    "items": {"type": ["string", "integer"]},
                                },
                                "msg": {"title": "Msg", "type": "string"},
                                "type": {"title": "Type", "type": "string"},
                            },
                        },
                    },
                },
            }
        ),
        "examples": [
            {
                "name": "authentication_failed",
                "summary": f"Then the socket closes with {POLICY_VIOLATION}",
                "payload": {
                    "status": status_codes.AUTHENTICATION_FAILED_40001,
                    "message": f"Authentication failed: {INVALID_TOKEN}",
                },
            },
            {
                "name": "forbidden",
                "summary": "The token's rights do not allow this in the room (no membership)",
                "payload": {
                    "status": status_codes.FORBIDDEN_40301,
                    "message": "not allowed to join room 'news:sport'",
                    "room": "news:sport",
                    "capability": "join",
                },
            },
            {
                "name": "publish_outcome_unknown",
                "summary": "The answer to a chat with an id names that id: retry with it",
                "payload": {
                    "status": status_codes.PUBLISH_OUTCOME_UNKNOWN_50011,
                    "message": "the message may or may not have been sent: send it again "
                    "with the same id",
                    "room": "lobby",
                    "id": "msg-1",
                },
            },
        ],
    }
