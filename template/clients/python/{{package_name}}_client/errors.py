"""What the client raises: every failure is one of these, and says whether it is final."""


class ClientError(Exception):
    """Base class of the client's errors."""


class InvalidURLError(ClientError, ValueError):
    """The URL is not a ``ws://`` or ``wss://`` URL."""


class UnreachableError(ClientError, ConnectionError):
    """The first connection could not be made (the host is down, unknown or silent)."""


class ClientClosedError(ClientError):
    """The client is closed: by `Client.close`, or after a terminal error (its ``__cause__``)."""


class ServiceError(ClientError):
    """The service answered a command with an error frame (``status``, ``message``)."""

    def __init__(self, status: int, message: str, details: dict[str, object] | None = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.details = details or {}


class RefusedError(ClientError):
    """The service ended the session for good (a close the client must not retry).

    ``code`` is the WebSocket close code (or the HTTP status of a refused handshake),
    ``status`` the service's 5-digit status when it gave one.
    """

    def __init__(self, code: int, reason: str, status: int | None = None) -> None:
        super().__init__(f"the service refused the session ({code} {reason!r})")
        self.code = code
        self.reason = reason
        self.status = status


# The name the API promises (`from <package>_client import Unauthorized`).
class Unauthorized(RefusedError):  # noqa: N818
    """The token was refused, and so was the one `get_token` gave next: final."""


class CommandTimeoutError(ClientError, TimeoutError):
    """No answer within the timeout.

    For a publish, ``message_id`` is set: the message may have been published, and
    publishing again with the same id (within the service's HISTORY_TTL) never doubles it.
    """

    def __init__(self, what: str, timeout: float, message_id: str | None = None) -> None:
        super().__init__(f"{what}: no answer within {timeout} s")
        self.message_id = message_id


class OutboxFullError(ClientError):
    """Too many unacknowledged publishes (by count or bytes): slow down and try again."""
