"""The ``websocket_authentication`` dependency of the seed article, typed and made safe."""

from typing import Annotated
from uuid import uuid4

from fastapi import Depends, WebSocket

from ..logs import set_request_id
from .authorizers import Authorizer
from .models import User

UNSUPPORTED_SERVICE = "unsupported service"
TOKEN_NOT_FOUND = "token not found"
INVALID_TOKEN = "invalid token"


async def websocket_authentication(ws: WebSocket) -> tuple[User | None, str | None]:
    """Authenticate a WebSocket handshake from its ``token`` and ``service`` query parameters.

    Returns ``(current_user, None)`` on success and ``(None, error)`` otherwise; the
    endpoint decides how to tell the client. Also gives the connection its request id.
    """
    token = ws.query_params.get("token")
    service = ws.query_params.get("service", ws.app.state.settings.SERVICE_NAME)
    set_request_id(str(uuid4()))
    authorizers: dict[str, Authorizer] = ws.app.state.authorizers
    authorizer = authorizers.get(service)

    if not authorizer:
        return None, UNSUPPORTED_SERVICE
    if not token:
        return None, TOKEN_NOT_FOUND

    current_user = await authorizer.check_auth(token)
    if not current_user:
        return None, INVALID_TOKEN
    return current_user, None


AuthResult = Annotated[tuple[User | None, str | None], Depends(websocket_authentication)]
