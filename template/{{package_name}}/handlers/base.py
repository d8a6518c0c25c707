"""The handler base classes (the engine's, in engine/handlers/base.py); import them from here."""

from ..engine.handlers.base import BaseHandler, Message, MsgHandler

__all__ = ["BaseHandler", "Message", "MsgHandler"]
