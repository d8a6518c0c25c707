"""The client's connection states."""

from enum import StrEnum


class State(StrEnum):
    """Where the client is; every change is reported to `Client.on_state` callbacks."""

    # Not connected, and not trying right now (before `connect`, between attempts).
    DISCONNECTED = "disconnected"
    CONNECTING = "connecting"
    # Authenticated (the service answered the first ping): rooms are joined again.
    CONNECTED = "connected"
    # For good: `close()` was called, or the service refused the session.
    CLOSED = "closed"
