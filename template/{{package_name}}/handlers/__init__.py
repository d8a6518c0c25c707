"""Message handlers, one module each, dispatched by the message's ``type``.

Every module in this package (other than the machinery in `base` and `factory`) is
imported here, so a new handler is a new module with a ``@MsgHandlerFactory.register``
class in it: nothing else to edit.
"""

import importlib
import pkgutil

from .base import BaseHandler, Message, MsgHandler
from .factory import MsgHandlerFactory

__all__ = ["BaseHandler", "Message", "MsgHandler", "MsgHandlerFactory"]

_MACHINERY = {"base", "factory"}

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _MACHINERY and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
