"""`python -m <package>`: run the service under uvicorn with host and port from settings."""

import uvicorn

from .config import load_settings


def main() -> None:
    """Start uvicorn on the configured host and port, with this package's logging."""
    settings = load_settings()
    uvicorn.run(
        f"{__package__}.main:app",
        host=settings.HOST,
        port=settings.PORT,
        # The app configures logging itself (request ids, levels); keep uvicorn's
        # default dictConfig from replacing it.
        log_config=None,
        log_level=settings.LOG_LEVEL.lower(),
        # The sans-I/O websockets backend (uvicorn's default since 0.50, named so that an
        # older default cannot come back): the fastest and leanest per connection.
        ws="websockets-sansio",
        # uvicorn's own 16 MiB frame limit, brought down to ours (+ slack for the app to
        # answer with its own 1009 close on frames just over the limit).
        ws_max_size=settings.MAX_MESSAGE_BYTES + 1024,
        ws_ping_interval=settings.HEARTBEAT_INTERVAL,
        ws_ping_timeout=settings.HEARTBEAT_TIMEOUT,
        ws_per_message_deflate=settings.WS_PER_MESSAGE_DEFLATE,
        # Without it, one handler blocked on anything but `receive` keeps a SIGTERM'd
        # process alive forever.
        timeout_graceful_shutdown=settings.SHUTDOWN_TIMEOUT,
    )


if __name__ == "__main__":
    main()
