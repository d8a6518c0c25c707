"""fastgen: generate FastAPI WebSocket services from a Copier template, and keep them updatable."""

__version__ = "0.1.0"

__all__ = ["__version__"]
