# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""Server-side publish, ``POST /api/rooms/{room}/messages``: the backend's voice in a room.

The rest of the system (a billing job, an admin tool) sends ``{"data": <any JSON>}`` with
``Authorization: Bearer <one of PUBLISH_API_KEYS>``; every member of the room, on every
process, receives ``{"type": "event", "room": R, "data": ..., "offset": N, "epoch": E}``
through the broker, so history and resuming cover events as they cover chats.

- 202 ``{"room", "offset", "epoch", "duplicate"}``: published (``duplicate``: an
  ``Idempotency-Key`` seen within HISTORY_TTL; not published again).
- 401 no key; 403 a wrong key, or PUBLISH_API_KEYS empty (the endpoint is off).
- 413 a body over PUBLISH_MAX_BYTES, refused before it is read; 422 a bad room name, body
  or ``Idempotency-Key``.
- 503 the broker is down (not published: retry), or cannot tell whether it published
  (retry with the same ``Idempotency-Key``): never "accepted" for a message that was lost.
"""

from time import perf_counter
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.status import (
    HTTP_202_ACCEPTED,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_413_CONTENT_TOO_LARGE,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from ...config import Settings
from .. import metrics
from ..api_keys import bearer_key, matches_any
from ..broker import Broker, BrokerUnavailableError, PublishOutcomeUnknownError
from ..handlers.rooms import MAX_MESSAGE_ID_LENGTH, MAX_ROOM_LENGTH, ROOM_PATTERN
from ..session import UnsupportedJSONError, decode_message

router = APIRouter(prefix="/api", tags=["publish"])

# Idempotency keys share the broker's message-key space with chat ids, which are
# "<length>:<user>:<id>" and so start with a digit: this prefix can never spell one.
IDEMPOTENCY_PREFIX: Final = "api:"
EVENT_TYPE: Final = "event"
RETRY_AFTER = {"Retry-After": "1"}


class PublishRequest(BaseModel):
    """What to send to the room's members: ``data`` is any JSON value."""

    model_config = ConfigDict(extra="forbid")

    data: Any = Field(examples=[{"kind": "invoice.paid", "invoice": 42}])


class PublishAccepted(BaseModel):
    """The event is in the room's history at ``offset`` (``duplicate``: it already was)."""

    room: str
    offset: int
    epoch: str
    duplicate: bool


def require_publish_key(request: Request) -> None:
    """401 without a bearer key, 403 with a wrong one or when PUBLISH_API_KEYS is empty."""
    keys: list[str] = request.app.state.settings.PUBLISH_API_KEYS
    if not keys:
        raise HTTPException(
            HTTP_403_FORBIDDEN, "the publish API is off: set PUBLISH_API_KEYS to enable it"
        )
    given = bearer_key(request)
    if given is None:
        raise HTTPException(
            HTTP_401_UNAUTHORIZED,
            "send Authorization: Bearer <one of PUBLISH_API_KEYS>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not matches_any(given, keys):
        raise HTTPException(HTTP_403_FORBIDDEN, "this key may not publish")


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The request body; 413 as soon as it is known to exceed `max_bytes` (never read whole)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:  # no or a false Content-Length
            raise _too_large(max_bytes)
    return bytes(body)


def parse_publish_request(body: bytes) -> PublishRequest:
    """Decode and validate the body as the WebSocket decodes a frame; 422 saying why not."""
    try:
        # The session's decoder: the same depth and integer limits as a client's frame.
        decoded = decode_message(body.decode())
    except UnsupportedJSONError as exc:
        raise _invalid("value_error", f"unsupported JSON: {exc}") from None
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError too
        raise _invalid("json_invalid", "the body is not valid JSON") from None
    try:
        return PublishRequest.model_validate(decoded)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors(include_url=False)]
        ) from None


RoomPath = Annotated[
    str, Path(min_length=1, max_length=MAX_ROOM_LENGTH, pattern=ROOM_PATTERN, examples=["lobby"])
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_MESSAGE_ID_LENGTH,
        description="A retry with the same key within HISTORY_TTL is not published again.",
    ),
]


@router.post(
    "/rooms/{room}/messages",
    status_code=HTTP_202_ACCEPTED,
    dependencies=[Depends(require_publish_key)],
    responses={
        HTTP_401_UNAUTHORIZED: {"description": "no `Authorization: Bearer <key>`"},
        HTTP_403_FORBIDDEN: {"description": "a wrong key, or PUBLISH_API_KEYS is empty"},
        HTTP_413_CONTENT_TOO_LARGE: {"description": "the body is over PUBLISH_MAX_BYTES"},
        HTTP_503_SERVICE_UNAVAILABLE: {
            "description": "not published (broker down: retry), or maybe published (retry "
            "with the same Idempotency-Key)"
        },
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": PublishRequest.model_json_schema()}},
        }
    },
)
async def publish_to_room(
    request: Request, room: RoomPath, idempotency_key: IdempotencyKey = None
) -> PublishAccepted:
    """Send ``data`` to every member of the room, as an ``event`` frame with an offset."""
    settings: Settings = request.app.state.settings
    message = parse_publish_request(await read_body(request, settings.PUBLISH_MAX_BYTES))
    broker: Broker = request.app.state.broker
    frame = {"type": EVENT_TYPE, "room": room, "data": message.data}
    key = None if idempotency_key is None else IDEMPOTENCY_PREFIX + idempotency_key
    started = perf_counter()
    try:
        result = await broker.publish(room, frame, message_key=key)
    except PublishOutcomeUnknownError:
        metrics.api_published(metrics.OUTCOME_UNKNOWN)
        raise HTTPException(
            HTTP_503_SERVICE_UNAVAILABLE,
            "the message may or may not have been published: retry with the same "
            "Idempotency-Key (without one, a retry may publish it twice)",
            headers=RETRY_AFTER,
        ) from None
    except BrokerUnavailableError:
        metrics.api_published(metrics.UNAVAILABLE)
        raise HTTPException(
            HTTP_503_SERVICE_UNAVAILABLE,
            "not published: rooms are unavailable, try again",
            headers=RETRY_AFTER,
        ) from None
    metrics.broker_published(perf_counter() - started)
    metrics.api_published(metrics.DUPLICATE if result.duplicate else metrics.PUBLISHED)
    return PublishAccepted(
        room=room,
        offset=result.position.offset,
        epoch=result.position.epoch,
        duplicate=result.duplicate,
    )


def _too_large(max_bytes: int) -> HTTPException:
    return HTTPException(
        HTTP_413_CONTENT_TOO_LARGE, f"the body is over PUBLISH_MAX_BYTES ({max_bytes} bytes)"
    )


def _invalid(kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body",), "msg": message}])
