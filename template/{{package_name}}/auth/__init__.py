"""WebSocket authentication: one authorizer per service, picked by the ``service`` parameter."""

from .authorizers import Authorizer, StaticTokenAuthorizer, build_authorizers
from .dependency import AuthResult, websocket_authentication
from .models import User

__all__ = [
    "AuthResult",
    "Authorizer",
    "StaticTokenAuthorizer",
    "User",
    "build_authorizers",
    "websocket_authentication",
]
