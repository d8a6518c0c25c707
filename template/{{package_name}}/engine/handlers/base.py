# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""What every handler is: built per message by `MsgHandlerFactory`, run with ``await run()``."""

import builtins
from abc import ABC, abstractmethod
from collections.abc import Mapping
from time import perf_counter
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from ...auth import User
from ..codec import encode_frame
from ..connection import ClientConnection
from ..metrics import observe_handler
from ..status_codes import INVALID_PAYLOAD_40006


class Message(BaseModel):
    """A client message: a JSON object with a ``type``; subclasses declare the other fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str


M = TypeVar("M", bound=Message)


class BaseHandler(ABC):
    """Holds what the seed's handlers receive: the socket, token, user and decoded message."""

    def __init__(
        self,
        *,
        ws: ClientConnection,
        token: str | None,
        current_user: User,
        request_data: dict[str, Any],
    ) -> None:
        self.ws = ws
        self.token = token
        self.current_user = current_user
        self.request_data = request_data

    @abstractmethod
    async def run(self) -> None:
        """Do the work for this one message."""


class MsgHandler(BaseHandler, Generic[M]):
    """A handler for one message ``type`` whose fields are validated by `message_model`.

    `reply_model`, when set, is the frame the handler answers with: the AsyncAPI document
    (``/asyncapi.json``) lists it as what the service sends for this ``type``. Make it a
    ``TypedDict`` (from ``typing_extensions``, which pydantic needs on Python 3.11): the
    type checker checks every reply, and sending one costs no validation, where building
    a pydantic model per reply cost as much as the rest of an echo. A `Message` subclass
    works too, for replies that need pydantic's serialisation. `more_replies` lists the
    frames a message of this type may also bring, after the reply (documented the same way).
    """

    type: ClassVar[str]
    # `builtins.type`: in this class body, `type` is the attribute above (a str).
    message_model: ClassVar[builtins.type[Message]]
    reply_model: ClassVar[builtins.type[Any] | None] = None
    more_replies: ClassVar[tuple[builtins.type[Any], ...]] = ()

    async def run(self) -> None:
        """Validate the message, then `handle` it; invalid fields get a 40006 error frame.

        Counted in ``ws_messages_received_total`` and timed in ``ws_handler_seconds``
        (a plain-number tally per message, see `metrics`), whether it succeeds or raises.
        """
        started = perf_counter()
        try:
            # The validator itself: `model_validate` adds only a Python-level call per message.
            message = self.message_model.__pydantic_validator__.validate_python(self.request_data)
        except ValidationError as exc:
            await self.ws.send_error(
                INVALID_PAYLOAD_40006,
                f"invalid payload for message type '{self.type}'",
                errors=[
                    {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
                    for error in exc.errors(include_url=False)
                ],
            )
            observe_handler(self.type, perf_counter() - started)
            return
        try:
            await self.handle(message)
        finally:
            observe_handler(self.type, perf_counter() - started)

    async def reply(self, frame: Mapping[str, Any] | BaseModel) -> None:
        """Send `frame` (usually a `reply_model` dict) to this handler's client."""
        if isinstance(frame, BaseModel):
            # pydantic's own encoder, called directly: `model_dump_json` costs twice as much.
            text = frame.__pydantic_serializer__.to_json(frame).decode()
        else:
            text = encode_frame(frame)
        await self.ws.send_text(text)

    @abstractmethod
    async def handle(self, message: M) -> None:
        """Act on a validated message."""
