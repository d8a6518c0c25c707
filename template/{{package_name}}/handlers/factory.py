"""`MsgHandlerFactory` (the engine's, in engine/handlers/factory.py); register handlers with it."""

from ..engine.handlers.factory import MsgHandlerFactory

__all__ = ["MsgHandlerFactory"]
