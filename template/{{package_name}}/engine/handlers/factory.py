# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""``MsgHandlerFactory``: the registry of handlers by message ``type``."""

from time import perf_counter
from typing import Any, ClassVar, TypeVar

from ...auth import User
from ..connection import ClientConnection
from ..metrics import UNKNOWN_TYPE, observe_handler
from ..status_codes import MISSING_TYPE_40004, UNKNOWN_TYPE_40005
from .base import BaseHandler, MsgHandler

H = TypeVar("H", bound=type[MsgHandler[Any]])


class ErrorReplyHandler(BaseHandler):
    """Answers a message no handler can take with one error frame."""

    def __init__(self, *, status: int, message: str, **context: Any) -> None:
        super().__init__(**context)
        self.status = status
        self.message = message

    async def run(self) -> None:
        """Send the error frame (counted as a message of type ``unknown``)."""
        started = perf_counter()
        await self.ws.send_error(self.status, self.message)
        observe_handler(UNKNOWN_TYPE, perf_counter() - started)


class MsgHandlerFactory:
    """Maps each message ``type`` to its handler class and builds one handler per message."""

    handlers: ClassVar[dict[str, type[MsgHandler[Any]]]] = {}

    @classmethod
    def register(cls, handler_class: H) -> H:
        """Class decorator: route messages whose ``type`` is ``handler_class.type`` to it."""
        message_type = handler_class.type
        existing = cls.handlers.get(message_type)
        if existing is not None and existing is not handler_class:
            raise ValueError(
                f"message type {message_type!r} is already handled by {existing.__qualname__}"
            )
        cls.handlers[message_type] = handler_class
        return handler_class

    @classmethod
    def get_handler(
        cls,
        *,
        ws: ClientConnection,
        token: str | None,
        current_user: User,
        request_data: dict[str, Any],
    ) -> BaseHandler:
        """The handler for `request_data`'s ``type``, or one that answers with an error frame."""
        message_type = request_data.get("type")
        handler_class = cls.handlers.get(message_type) if isinstance(message_type, str) else None
        if handler_class is not None:
            # The hot path: one dict lookup and one object per message, nothing else.
            return handler_class(
                ws=ws, token=token, current_user=current_user, request_data=request_data
            )
        if not isinstance(message_type, str) or not message_type:
            status, text = MISSING_TYPE_40004, 'message needs a "type" string'
        else:
            status = UNKNOWN_TYPE_40005
            text = f"unknown message type {message_type!r}; known: {sorted(cls.handlers)}"
        return ErrorReplyHandler(
            status=status,
            message=text,
            ws=ws,
            token=token,
            current_user=current_user,
            request_data=request_data,
        )
