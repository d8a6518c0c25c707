# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""ASGI middleware: request ids, and the guards every WebSocket handshake passes.

Pure ASGI (not ``BaseHTTPMiddleware``): WebSocket scopes pass through, and nothing is
added per message.
"""

import logging
import secrets
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from . import metrics
from .close_codes import POLICY_VIOLATION, checked_close_code
from .logs import reset_request_id, set_request_id
from .refusals import refusal, refuse
from .status_codes import ANONYMOUS_ACCESS_OFF_40302, SERVER_AT_CAPACITY_50301

logger = logging.getLogger(__name__)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

REQUEST_ID_HEADER = "X-Request-ID"
AT_CAPACITY = "server at capacity"

# Scope keys: the guard that counts this WebSocket, and whether it moved to the anonymous pool.
GUARD_SCOPE_KEY = f"{__package__}.guard"
ANONYMOUS_SCOPE_KEY = f"{__package__}.anonymous"


class RequestIdMiddleware:
    """Sets the logging request id per connection and returns it in ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with a new request id in context."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        # 32 random hex digits, as `uuid4().hex` gave, without building a UUID (a third of
        # the cost, on every handshake and request).
        request_id = secrets.token_hex(16)
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


def handshake_origin(scope: Scope) -> str | None:
    """The handshake's ``Origin`` header, if it has one (the first, if it has several).

    Read straight from the raw headers, which ASGI servers give with lower-case names:
    Starlette's ``Headers`` costs more, on every handshake, to find this one header.
    """
    for name, value in scope["headers"]:
        if name == b"origin":
            return value.decode("latin-1")
    return None


class WebSocketGuardMiddleware:
    """Refuses cross-site handshakes and caps the number of open WebSockets per process.

    Starlette's CORSMiddleware ignores WebSocket scopes, so a page on any site could
    otherwise open a socket with the visitor's credentials (cross-site WebSocket
    hijacking). Uvicorn's ``--limit-concurrency`` does not count WebSockets either.
    An endpoint open to clients without a token moves its socket to a pool of its own
    (`admit_anonymous`), so they can never take the slots of those with one.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_origins: Iterable[str],
        allow_localhost: bool,
        max_connections: int,
        max_anonymous: int = 0,
    ) -> None:
        self.app = app
        self.allowed_origins = frozenset(origin.rstrip("/") for origin in allowed_origins)
        self.allow_localhost = allow_localhost
        self.max_connections = max_connections
        self.max_anonymous = max_anonymous
        self.open_connections = 0
        self.open_anonymous = 0

    def origin_allowed(self, origin: str | None) -> bool:
        """No Origin (non-browser clients) or a listed one; any localhost page in debug."""
        if origin is None or origin.rstrip("/") in self.allowed_origins:
            return True
        return self.allow_localhost and urlsplit(origin).hostname in LOCAL_HOSTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the handshake, then run the app while counting the connection."""
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        origin = handshake_origin(scope)
        if not self.origin_allowed(origin):
            logger.warning("WebSocket handshake refused: origin %r is not allowed", origin)
            metrics.connection_refused(metrics.ORIGIN)
            # A close before accept is an HTTP 403 refusal of the handshake.
            await receive()
            await send({"type": "websocket.close", "code": checked_close_code(POLICY_VIOLATION)})
            return
        if self.open_connections >= self.max_connections:
            logger.warning("WebSocket refused: %d connections open", self.open_connections)
            metrics.connection_refused(metrics.CAPACITY)
            # Accept first so the client learns why: 50301 and 1013, "try again later".
            frame, code, reason = refusal(SERVER_AT_CAPACITY_50301, AT_CAPACITY)
            metrics.error_frame(SERVER_AT_CAPACITY_50301)
            await receive()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.send", "text": frame})
            await send({"type": "websocket.close", "code": code, "reason": reason})
            return
        self.open_connections += 1
        scope[GUARD_SCOPE_KEY] = self
        try:
            await self.app(scope, receive, send)
        finally:
            if scope.get(ANONYMOUS_SCOPE_KEY):
                self.open_anonymous -= 1
            else:
                self.open_connections -= 1


async def admit_anonymous(websocket: WebSocket) -> bool:
    """Move this socket from MAX_CONNECTIONS to the ANONYMOUS_MAX_CONNECTIONS pool.

    Every endpoint that serves clients without a token starts with this call, so the
    limit follows the endpoint whatever path it is mounted at. Returns False after
    refusing the socket (50301 and 1013 when the pool is full, 40302 and 1008 when it is off).
    """
    guard: WebSocketGuardMiddleware | None = websocket.scope.get(GUARD_SCOPE_KEY)
    if guard is None:  # an app built without the guard: nothing to count against
        return True
    if not guard.max_anonymous:
        status, text = ANONYMOUS_ACCESS_OFF_40302, "anonymous access is off"
    elif guard.open_anonymous >= guard.max_anonymous:
        logger.warning("anonymous WebSocket refused: %d open", guard.open_anonymous)
        status, text = SERVER_AT_CAPACITY_50301, AT_CAPACITY
    else:
        guard.open_connections -= 1
        guard.open_anonymous += 1
        websocket.scope[ANONYMOUS_SCOPE_KEY] = True
        return True
    await websocket.accept()
    await refuse(websocket, status, text)
    return False
