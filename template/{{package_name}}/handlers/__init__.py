"""Your message handlers, one module each, dispatched by the message's ``type``.

Every module in this package (other than `base` and `factory`, the stable import paths of
the engine's handler classes) is imported here, so a new handler is a new module with a
``@MsgHandlerFactory.register`` class in it: nothing else to edit. The built-in types
(rooms, presence, refresh, ping) are the engine's, in engine/handlers/.
"""

import importlib
import pkgutil

from ..engine import handlers as _built_in  # noqa: F401  (registers the built-in types)
from .base import BaseHandler, Message, MsgHandler
from .factory import MsgHandlerFactory

__all__ = ["BaseHandler", "Message", "MsgHandler", "MsgHandlerFactory"]

_MACHINERY = {"base", "factory"}

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _MACHINERY and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
