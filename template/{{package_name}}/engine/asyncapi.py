# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The AsyncAPI 3.0 document of ``/ws/chat``, built from the handler registry.

Every registered handler contributes the message it receives (its `message_model`) and,
when it declares one, the message it answers with (its `reply_model`); error frames come
from `status_codes`. Nothing here names a message type, so a new handler module shows up
in the document (and in the browser console built on it) without an edit.

``python -m <package>.engine.asyncapi`` prints the document, e.g. for client teams' code generators.
"""

import json
import math
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import TypeAdapter

from .. import __version__
from ..auth.dependency import INVALID_TOKEN, TOKEN_NOT_FOUND, UNSUPPORTED_SERVICE
from ..auth.errors import TOKEN_EXPIRED
from ..config import Settings, load_settings
from ..handlers import MsgHandlerFactory
from . import status_codes
from .broker.frames import PUSHED_FRAMES
from .broker.presence import PRESENCE_FRAMES
from .close_codes import POLICY_VIOLATION
from .permissions import CAPABILITIES

ASYNCAPI_VERSION = "3.0.0"
CHANNEL = "chat"
CHANNEL_ADDRESS = "/ws/chat"
REFRESH_TYPE = "refresh"
ERROR_MESSAGE = "error"
SCHEMAS_REF = "#/components/schemas/"
_STATUS_NAME = re.compile(r"^(?P<name>[A-Z][A-Z0-9_]*)_(?P<code>\d{5})$")
# Component keys may only hold these characters; a message type may hold any.
_NOT_KEY = re.compile(r"[^\w.\-]")

Schema = dict[str, Any]


def status_codes_table() -> dict[int, str]:
    """Every application status code in `status_codes`, with its name in plain words."""
    table: dict[int, str] = {}
    for name, value in vars(status_codes).items():
        match = _STATUS_NAME.match(name)
        if match and isinstance(value, int):
            table[value] = match["name"].lower().replace("_", " ")
    return dict(sorted(table.items()))


def build_asyncapi(settings: Settings, host: str | None = None) -> dict[str, Any]:
    """The AsyncAPI 3.0 document for the handlers registered right now.

    Args:
        settings: the service's settings (its name is the title and the default ``service``).
        host: ``host:port`` the document was requested from, listed as the server.
    """
    schemas: dict[str, Schema] = {}
    messages: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    channel_ref = {"$ref": f"#/channels/{CHANNEL}"}

    for message_type, handler in sorted(MsgHandlerFactory.handlers.items()):
        key = _NOT_KEY.sub("_", message_type)
        payload = _payload(handler.message_model, "validation", schemas)
        payload["properties"]["type"] = {"type": "string", "const": message_type}
        payload["required"] = ["type", *[f for f in payload.get("required", []) if f != "type"]]
        messages[key] = _message(
            message_type,
            title=f"{message_type} (client → service)",
            summary=_summary(handler.message_model) or (handler.__doc__ or "").strip(),
            payload=payload,
            schemas=schemas,
        )
        operation: dict[str, Any] = {
            "action": "receive",
            "channel": channel_ref,
            "title": f"Handle {message_type}",
            "summary": (handler.__doc__ or message_type).strip().splitlines()[0],
            "messages": [_channel_message_ref(key)],
        }
        replies = [] if handler.reply_model is None else [(f"{key}_reply", handler.reply_model)]
        replies += [(f"{key}_reply_{n}", model) for n, model in enumerate(handler.more_replies, 2)]
        for reply_key, model in replies:
            reply_payload = _payload(model, "serialization", schemas)
            messages[reply_key] = _message(
                _reply_type(reply_payload) or reply_key,
                title=f"{_reply_type(reply_payload) or reply_key} (service → client)",
                summary=_summary(model),
                payload=reply_payload,
                schemas=schemas,
            )
        if replies:
            operation["reply"] = {
                "channel": channel_ref,
                "messages": [_channel_message_ref(reply_key) for reply_key, _ in replies],
            }
        operations[f"receive_{key}"] = operation

    # Frames the service sends on its own: room messages, resets of a room's history, and
    # presence events (to members that joined with "presence": true).
    for model in (*PUSHED_FRAMES, *PRESENCE_FRAMES):
        payload = _payload(model, "serialization", schemas)
        name = _reply_type(payload) or model.__name__
        key = f"{_NOT_KEY.sub('_', name)}_frame"
        audience = "members that asked" if model in PRESENCE_FRAMES else "room members"
        messages[key] = _message(
            name,
            title=f"{name} (service → {audience})",
            summary=_summary(model),
            payload=payload,
            schemas=schemas,
        )
        operations[f"send_{key}"] = {
            "action": "send",
            "channel": channel_ref,
            "title": f"{name} frame",
            "summary": _summary(model),
            "messages": [_channel_message_ref(key)],
        }

    messages[ERROR_MESSAGE] = _error_message()
    operations["send_error"] = {
        "action": "send",
        "channel": channel_ref,
        "title": "Error frame",
        "summary": "Sent instead of a reply when a frame cannot be handled.",
        "messages": [_channel_message_ref(ERROR_MESSAGE)],
    }

    document: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": settings.SERVICE_NAME,
            "version": __version__,
            "description": (
                f"JSON messages over the WebSocket at `{CHANNEL_ADDRESS}`. Every client "
                'message is an object with a `"type"`; errors are frames '
                '`{"status": <code>, "message": "..."}` and never end the session, except '
                f"authentication failures ({status_codes.AUTHENTICATION_FAILED_40001}), "
                f"after which the socket closes with {POLICY_VIOLATION}. {session_lifetime()}"
            ),
        },
        "defaultContentType": "application/json",
        "channels": {
            CHANNEL: {
                "address": CHANNEL_ADDRESS,
                "title": "Authenticated chat",
                "description": "One connection per client; messages are dispatched by `type`.",
                "messages": {key: {"$ref": f"#/components/messages/{key}"} for key in messages},
                "bindings": {"ws": _ws_binding(settings)},
            }
        },
        "operations": operations,
        "components": {"messages": messages, "schemas": dict(sorted(schemas.items()))},
    }
    if host:
        document["servers"] = {
            "this": {"host": host, "protocol": "ws", "description": "The server of this document"}
        }
    return document


def session_lifetime() -> str:
    """How a session ends with its token, and how the client keeps it open."""
    return (
        f"A session lives as long as its token: when the token expires, the socket closes "
        f'with {POLICY_VIOLATION} and the reason "{TOKEN_EXPIRED}", unless the client first '
        f'sent a `"{REFRESH_TYPE}"` message with a new token for the same user (a refused '
        f"one gets a {status_codes.REFRESH_REFUSED_40009} error frame and changes nothing)."
    )


def example_of(
    schema: Mapping[str, Any], schemas: Mapping[str, Schema], depth: int = 0, name: str = ""
) -> Any:
    """A valid, plausible value for `schema` (the console's pre-filled message).

    Its example, default or const when it has one; else a value that the field's `name`
    suggests (a room is "lobby") or its format does, kept only when it meets the schema's
    pattern, length and bounds; else the first generic value that meets them.
    """
    if depth > 8:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(SCHEMAS_REF):
        target = schemas.get(ref.removeprefix(SCHEMAS_REF), {})
        siblings = {k: v for k, v in schema.items() if k != "$ref"}
        return example_of({**target, **siblings}, schemas, depth + 1, name)
    for key in ("examples", "default", "const"):
        if key in schema:
            value = schema[key]
            return value[0] if key == "examples" and value else value
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key, []) if o.get("type") != "null"]
        if options:
            return example_of(options[0], schemas, depth + 1, name)
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    hint = _BY_NAME.get(name)
    if kind == "object" or "properties" in schema:
        properties: Mapping[str, Any] = schema.get("properties", {})
        required = set(schema.get("required", []))
        return {
            field: example_of(sub, schemas, depth + 1, field)
            for field, sub in properties.items()
            if field in required or "default" not in sub
        }
    if kind == "array":
        item = example_of(schema.get("items", {}), schemas, depth + 1, name)
        most = schema.get("maxItems")
        return [item] * max(schema.get("minItems", 0), 1 if most is None or most >= 1 else 0)
    if kind in ("integer", "number"):
        return _number(schema, hint, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    if kind is None and hint is not None:
        return hint  # Any JSON value (no type): the name's value, whatever its type.
    return _string(schema, hint)


# Values a field's name suggests; each is used only where the field's schema allows it.
_BY_NAME: dict[str, Any] = {
    "room": "lobby",
    "text": "hello",
    "message": "hello",
    "data": "hello",
    "user": "alice",
    "from": "alice",
    "id": "msg-1",
    "token": "<a token>",
    "epoch": "5cae8c54",
    "offset": 41,
    "limit": 50,
    "total": 1,
    "connections": 1,
    "expires_at": 1767225600,
}
_BY_FORMAT: dict[str, str] = {
    "date-time": "2026-01-01T12:00:00Z",
    "date": "2026-01-01",
    "time": "12:00:00",
    "duration": "P1D",
    "email": "alice@example.com",
    "uri": "https://example.com/",
    "uuid": "5cae8c54-1f0e-4b8a-9a4e-0d6f2c1b7e3a",
    "ipv4": "127.0.0.1",
    "ipv6": "::1",
}
# Tried in order when neither the name nor the format gives a value that fits, as they are,
# then cut or repeated to each length up to _LONGEST_TRIED (e.g. "123123" for ^\d{6}$).
_LONGEST_TRIED = 32
_STRINGS = ("example", "abc", "ABC", "a1", "123", "a-b", "a_b", "a.b", "a:b", "a b", "x")


def _string(schema: Mapping[str, Any], hint: Any) -> str:
    """The first candidate that meets `schema`, as it is or cut or repeated to a length."""
    fmt = _BY_FORMAT.get(schema.get("format", ""))
    named = [hint] if isinstance(hint, str) else []
    candidates = [*named, *([fmt] if fmt else []), *_STRINGS, *_BY_FORMAT.values()]
    shortest, longest = schema.get("minLength", 0), schema.get("maxLength")
    try:
        pattern = re.compile(schema.get("pattern", ""))
    except re.error:  # Not a pattern Python reads: the lengths are all that can be checked.
        pattern = re.compile("")
    top = max(shortest, _LONGEST_TRIED if longest is None else min(longest, _LONGEST_TRIED))
    tried = [[candidate] for candidate in candidates]
    tried += [[(c * size)[:size] for size in range(shortest, top + 1)] for c in candidates]
    for values in tried:
        for value in values:
            fits = len(value) >= shortest and (longest is None or len(value) <= longest)
            if fits and pattern.search(value):
                return value
    return candidates[0]  # Nothing fits: the test of the examples names the field.


def _number(schema: Mapping[str, Any], hint: Any, *, integer: bool) -> int | float:
    """`hint` when it is within the bounds, else the value nearest 0 that is."""
    low, high = schema.get("minimum"), schema.get("maximum")
    step = 1 if integer else 0.5
    if "exclusiveMinimum" in schema:
        low = schema["exclusiveMinimum"] + step
    if "exclusiveMaximum" in schema:
        high = schema["exclusiveMaximum"] - step
    if low is not None and high is not None and low > high:
        low = high = (low + high) / 2  # A float range narrower than the step.
    value = hint if isinstance(hint, int | float) and not isinstance(hint, bool) else 0
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    multiple = schema.get("multipleOf")
    if multiple:
        value = math.ceil(value / multiple) * multiple
    return math.ceil(value) if integer else value


def _payload(
    model: type[Any], mode: Literal["validation", "serialization"], schemas: dict[str, Schema]
) -> Schema:
    # A TypeAdapter takes pydantic models and TypedDicts (replies) alike.
    schema = TypeAdapter(model).json_schema(mode=mode, ref_template=SCHEMAS_REF + "{model}")
    for name, definition in schema.pop("$defs", {}).items():
        known = schemas.setdefault(name, definition)
        if known != definition:
            raise ValueError(f"two different models are both called {name!r}; rename one")
    return schema


def _message(
    name: str, *, title: str, summary: str, payload: Schema, schemas: Mapping[str, Schema]
) -> dict[str, Any]:
    message: dict[str, Any] = {"name": name, "title": title, "payload": payload}
    if summary:
        message["summary"] = summary
    message["examples"] = [{"payload": example_of(payload, schemas)}]
    return message


def _summary(model: type[Any]) -> str:
    doc = model.__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _reply_type(payload: Schema) -> str | None:
    const = payload.get("properties", {}).get("type", {}).get("const")
    return const if isinstance(const, str) else None


def _channel_message_ref(key: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{CHANNEL}/messages/{key}"}


def _error_message() -> dict[str, Any]:
    codes = status_codes_table()
    return {
        "name": ERROR_MESSAGE,
        "title": "error (service → client)",
        "summary": "Why a frame could not be handled; the session goes on unless it is 40001.",
        "description": "\n".join(f"- `{code}`: {meaning}" for code, meaning in codes.items()),
        "payload": {
            "type": "object",
            "required": ["status", "message"],
            "properties": {
                "status": {
                    "type": "integer",
                    "oneOf": [{"const": code, "title": meaning} for code, meaning in codes.items()],
                },
                "message": {"type": "string"},
                "room": {"type": "string", "description": "The room the refused request named."},
                "capability": {
                    "type": "string",
                    "enum": list(CAPABILITIES),
                    "description": "With 40301: what the token's rights do not allow there.",
                },
                "errors": {
                    "type": "array",
                    "description": "With 40006: what is wrong with each field.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                            "msg": {"type": "string"},
                            "type": {"type": "string"},
                        },
                    },
                },
            },
        },
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
        ],
    }


def _ws_binding(settings: Settings) -> dict[str, Any]:
    failures = ", ".join(f"`{e}`" for e in (UNSUPPORTED_SERVICE, TOKEN_NOT_FOUND, INVALID_TOKEN))
    return {
        "method": "GET",
        "query": {
            "type": "object",
            "required": ["token"],
            "properties": {
                "token": {
                    "type": "string",
                    "description": (
                        f"The client's token. Without a valid one the service sends a "
                        f"{status_codes.AUTHENTICATION_FAILED_40001} error ({failures}) and "
                        f"closes with {POLICY_VIOLATION}. {session_lifetime()}"
                    ),
                },
                "service": {
                    "type": "string",
                    "description": "The service whose tokens to check.",
                    "default": settings.SERVICE_NAME,
                },
            },
        },
        "bindingVersion": "0.1.0",
    }


if __name__ == "__main__":
    print(json.dumps(build_asyncapi(load_settings()), indent=2, ensure_ascii=False))
