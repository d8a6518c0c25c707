"""The service package; `main.app` is the ASGI application."""

from .engine.moved import install as _install_moved

__version__ = "0.1.0"

_install_moved(__name__)
