"""Opening one WebSocket to the service: the URL checked, the token offered."""

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from .errors import InvalidURLError

CHAT_SUBPROTOCOL = Subprotocol("chat.v1")
BEARER_PREFIX = "bearer."
# A subprotocol is an HTTP token: a JWT (base64url and dots) always is one.
_HTTP_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def checked_url(url: str) -> str:
    """`url` if it is a ``ws://`` or ``wss://`` URL with a host; InvalidURLError otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(f"{url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise InvalidURLError(f"{url!r} is not a ws:// or wss:// URL with a host")
    if port == 0:
        raise InvalidURLError(f"{url!r}: port 0 cannot be connected to")
    return url


def _with_query_token(url: str, token: str) -> str:
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query) if key != "token"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("token", token)])))


async def open_link(url: str, token: str | None, timeout: float) -> ClientConnection:
    """Open the socket, offering `token` as a ``bearer.`` subprotocol (kept out of URL logs).

    A token that is not an HTTP token goes in the ``token`` query parameter instead.
    """
    subprotocols = [CHAT_SUBPROTOCOL]
    if token is not None:
        if _HTTP_TOKEN.match(token):
            subprotocols.append(Subprotocol(BEARER_PREFIX + token))
        else:
            url = _with_query_token(url, token)
    return await connect(
        url,
        subprotocols=subprotocols,
        open_timeout=timeout,
        # The service's own ping/pong messages watch the link (see `Client`).
        ping_interval=None,
        close_timeout=timeout,
        # Small JSON frames: compression costs more CPU than it saves on loopback and LANs.
        compression=None,
        # Bounded: a frame this large is no chat; the service sends far smaller ones.
        max_size=16 * 2**20,
    )
