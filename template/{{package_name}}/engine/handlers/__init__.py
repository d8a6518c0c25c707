# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""The handler machinery and the built-in message types; importing this registers them."""

from . import ping, presence, refresh, rooms
from .base import BaseHandler, Message, MsgHandler
from .factory import MsgHandlerFactory

__all__ = [
    "BaseHandler",
    "Message",
    "MsgHandler",
    "MsgHandlerFactory",
    "ping",
    "presence",
    "refresh",
    "rooms",
]
