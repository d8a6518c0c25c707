# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The AsyncAPI 3.0 document of ``/ws/chat``, built from the handler registry.

Every registered handler contributes the message it receives (its `message_model`) and,
when it declares one, the message it answers with (its `reply_model`); error frames come
from `status_codes`. Nothing here names a message type, so a new handler module shows up
in the document (and in the browser console built on it) without an edit.

Written for code generators too: every payload has a ``title`` (the model's name, which
tools such as modelina name their types after), an operation answers with one message (a
titled ``oneOf`` when a handler has several replies), and the decoder's limits are in the
schemas (`schema_limits`).

``python -m <package>.engine.asyncapi`` prints the document, e.g. for client teams' code generators.
"""

import json
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
from .error_schema import ERROR_MESSAGE, error_message, status_codes_table
from .examples import SCHEMAS_REF, Schema, example_of
from .refusals import CLOSE_CODES
from .schema_limits import LIMITS_NOTE, with_limits

ASYNCAPI_VERSION = "3.0.0"
CHANNEL = "chat"
CHANNEL_ADDRESS = "/ws/chat"
REFRESH_TYPE = "refresh"
# Component keys may only hold these characters; a message type may hold any.
_NOT_KEY = re.compile(r"[^\w.\-]")


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
        reply_keys = [reply_key for reply_key, _ in replies]
        if len(reply_keys) > 1:
            # One reply message: tools make a union of several, named after the channel.
            union_key = f"{key}_replies"
            messages[union_key] = _union_message(
                f"{handler.__name__.removesuffix('Handler')}Replies",
                [messages[reply_key] for reply_key in reply_keys],
                schemas,
            )
            reply_keys = [union_key]
        if reply_keys:
            operation["reply"] = {
                "channel": channel_ref,
                "messages": [_channel_message_ref(reply_key) for reply_key in reply_keys],
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

    messages[ERROR_MESSAGE] = error_message()
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
                '`{"status": <code>, "message": "..."}`, with the `"id"` of the message '
                "they answer when it had a string one. "
                f"{session_endings()} {session_lifetime()} {heartbeat()} {LIMITS_NOTE}"
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
    expired = status_codes.TOKEN_EXPIRED_40101
    return (
        f"A session lives as long as its token: when the token expires, the service sends a "
        f"{expired} error frame and closes with {POLICY_VIOLATION} and the reason "
        f'"{expired} {TOKEN_EXPIRED}", unless the client first sent a `"{REFRESH_TYPE}"` '
        f"message with a new token for the same user (a refused one gets a "
        f"{status_codes.REFRESH_REFUSED_40009} error frame and changes nothing)."
    )


def session_endings() -> str:
    """Which error frames end the session, and with which close code."""
    names = status_codes_table()
    endings = ", ".join(
        f"{status} {names[status]} (close {code})" for status, code in sorted(CLOSE_CODES.items())
    )
    return (
        "Errors do not end the session, except these refusals: "
        f"{endings}. Each sends its error frame, then closes with a reason that starts with "
        'the status and a space (`"42901 rate limit exceeded"`).'
    )


def heartbeat() -> str:
    """How a client that cannot see WebSocket pings (a browser) finds a dead link."""
    return (
        'A `"ping"` is answered with `{"type": "pong", "heartbeat": H}`: ping right after '
        "connecting, then every H seconds, and take a link on which nothing arrived for "
        "twice H seconds as dead."
    )


def _payload(
    model: type[Any], mode: Literal["validation", "serialization"], schemas: dict[str, Schema]
) -> Schema:
    # A TypeAdapter takes pydantic models and TypedDicts (replies) alike.
    schema = TypeAdapter(model).json_schema(mode=mode, ref_template=SCHEMAS_REF + "{model}")
    with_limits(schema)
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


def _union_message(title: str, members: list[dict[str, Any]], schemas: Mapping[str, Schema]) -> Any:
    names = [member["name"] for member in members]
    payload = {
        "title": title,
        "description": f"A frame that answers it: {' or '.join(names)}.",
        "oneOf": [member["payload"] for member in members],
    }
    return _message(
        ", ".join(names),
        title=f"{title} (service → client)",
        summary=f"The frames that answer it: {', '.join(names)}, in that order.",
        payload=payload,
        schemas=schemas,
    )


def _summary(model: type[Any]) -> str:
    doc = model.__doc__ or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _reply_type(payload: Schema) -> str | None:
    const = payload.get("properties", {}).get("type", {}).get("const")
    return const if isinstance(const, str) else None


def _channel_message_ref(key: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{CHANNEL}/messages/{key}"}


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
