"""ASGI middleware: a fresh request id for every HTTP request and WebSocket connection."""

from uuid import uuid4

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .logs import reset_request_id, set_request_id

REQUEST_ID_HEADER = "X-Request-ID"


class RequestIdMiddleware:
    """Sets the logging request id per connection and returns it in ``X-Request-ID``.

    Pure ASGI (not ``BaseHTTPMiddleware``) so WebSocket scopes pass through untouched and
    no per-message work is added.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a new request id in context."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = uuid4().hex
        token = set_request_id(request_id)
        try:
            if scope["type"] == "websocket":
                await self.app(scope, receive, send)
                return

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
                await send(message)

            await self.app(scope, receive, send_with_id)
        finally:
            reset_request_id(token)
