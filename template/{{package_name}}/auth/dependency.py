"""``websocket_authentication``: who is connecting, from the handshake's token and service."""

from typing import Annotated

from fastapi import Depends, WebSocket

from .authorizers import Authorizer
from .errors import AuthError
from .models import User

UNSUPPORTED_SERVICE = "unsupported service"
TOKEN_NOT_FOUND = "token not found"
INVALID_TOKEN = "invalid token"

# Browsers cannot set headers on a WebSocket, and query strings end up in logs and
# histories: they may instead offer ["chat.v1", "bearer.<token>"] as subprotocols.
CHAT_SUBPROTOCOL = "chat.v1"
BEARER_PREFIX = "bearer."


def request_token(ws: WebSocket) -> str | None:
    """The client's token: ``?token=``, else a ``bearer.<token>`` subprotocol entry."""
    token = ws.query_params.get("token")
    if token:
        return token
    for subprotocol in ws.scope.get("subprotocols", ()):
        if subprotocol.startswith(BEARER_PREFIX):
            return subprotocol.removeprefix(BEARER_PREFIX) or None
    return None


def authorizer_for(ws: WebSocket) -> Authorizer | None:
    """The authorizer of the ``service`` the client asked for (default: this service)."""
    service = ws.query_params.get("service", ws.app.state.settings.SERVICE_NAME)
    authorizers: dict[str, Authorizer] = ws.app.state.authorizers
    return authorizers.get(service)


def chosen_subprotocol(ws: WebSocket) -> str | None:
    """The subprotocol to accept with: ours if the client offered it (never the bearer one)."""
    return CHAT_SUBPROTOCOL if CHAT_SUBPROTOCOL in ws.scope.get("subprotocols", ()) else None


async def websocket_authentication(ws: WebSocket) -> tuple[User | None, str | None]:
    """Authenticate a WebSocket handshake from its ``token`` and ``service`` query parameters.

    The token may come as a ``bearer.<token>`` subprotocol instead (see `request_token`).

    Returns ``(current_user, None)`` on success and ``(None, error)`` otherwise; the
    endpoint decides how to tell the client.
    """
    token = request_token(ws)
    # No request id is set here: `RequestIdMiddleware` gave the connection one, so that its
    # lines before and after authentication share it.
    authorizer = authorizer_for(ws)

    if not authorizer:
        return None, UNSUPPORTED_SERVICE
    if not token:
        return None, TOKEN_NOT_FOUND

    try:
        current_user = await authorizer.check_auth(token)
    except AuthError as exc:
        return None, str(exc)
    if not current_user:
        return None, INVALID_TOKEN
    return current_user, None


AuthResult = Annotated[tuple[User | None, str | None], Depends(websocket_authentication)]
