"""WebSocket authentication: one authorizer per service, picked by the ``service`` parameter."""

from .authorizers import Authorizer, StaticTokenAuthorizer, build_authorizers
from .dependency import (
    CHAT_SUBPROTOCOL,
    AuthResult,
    authorizer_for,
    chosen_subprotocol,
    request_token,
    websocket_authentication,
)
from .errors import AuthError
from .models import User

__all__ = [
    "CHAT_SUBPROTOCOL",
    "AuthError",
    "AuthResult",
    "Authorizer",
    "StaticTokenAuthorizer",
    "User",
    "authorizer_for",
    "build_authorizers",
    "chosen_subprotocol",
    "request_token",
    "websocket_authentication",
]
