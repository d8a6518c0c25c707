"""The service package; `main.app` is the ASGI application."""

__version__ = "0.1.0"
