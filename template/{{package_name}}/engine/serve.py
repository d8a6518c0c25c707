# Engine file: `fastgen update` maintains it (see engine/__init__.py).
"""`python -m <package> [--reload | --workers N]`: the one way to run the service (see __main__.py).

In production and in development alike. Plain ``uvicorn <package>.main:app`` runs without
this service's limits (the app says which at start, see fence.py). Every run command (the
README's, the Dockerfile's, compose's) goes through `main`.
"""

import argparse
import logging
import os

import uvicorn

from ..config import load_settings
from . import fence
from .limits import raise_open_file_limit

logger = logging.getLogger(__name__)

# The service's package (this module is <package>.engine.serve).
PACKAGE = __package__.rpartition(".")[0] if __package__ else ""


def main(argv: list[str] | None = None) -> None:
    """Start uvicorn with host, port and every limit from the settings."""
    parser = argparse.ArgumentParser(
        prog=f"python -m {PACKAGE}", description="Run the service under uvicorn."
    )
    parser.add_argument(
        "--reload", action="store_true", help="restart on code changes (development only)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="worker processes sharing the port (for their metrics, see PROMETHEUS_MULTIPROC_DIR)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.reload and args.workers > 1:
        parser.error("--reload runs one process: drop --workers")
    settings = load_settings()
    problems = fence.missing()
    if problems and not settings.UVICORN_STOCK_PROTOCOLS:
        parser.exit(
            2,
            f"error: uvicorn {fence.uvicorn_version()} lacks what the engine needs "
            f"({', '.join(problems)}): install uvicorn{fence.SUPPORTED_UVICORN}, or set "
            "UVICORN_STOCK_PROTOCOLS=true to run without the engine's protections\n",
        )
    if settings.UVICORN_STOCK_PROTOCOLS:
        logging.basicConfig()
        logger.critical(
            "UVICORN_STOCK_PROTOCOLS: running on uvicorn %s's own protocols; off: %s",
            fence.uvicorn_version(),
            "; ".join(fence.OFF_ON_STOCK_PROTOCOLS),
        )
        http, ws = "auto", "websockets-sansio"
        os.environ[fence.SERVED_BY_ENV] = fence.STOCK_PROTOCOLS
    else:
        # uvicorn's protocols with the deadlines it lacks (see protocols.py): requests
        # must be complete within HANDSHAKE_TIMEOUT, unsent data must move within
        # SEND_TIMEOUT. The WebSocket one is the sans-I/O websockets backend, the
        # fastest and leanest per connection. Named by import string: with --reload,
        # uvicorn imports them again in its worker process.
        # (uvicorn's own timeout_keep_alive, 5 s, still closes idle kept-alive
        # connections; its timer stops at the first byte of a next request, and
        # HANDSHAKE_TIMEOUT takes over from there.)
        http = f"{__package__}.protocols:HandshakeTimeoutHTTPProtocol"
        ws = f"{__package__}.protocols:SendTimeoutWebSocketProtocol"
        os.environ[fence.SERVED_BY_ENV] = fence.ENGINE_PROTOCOLS
    raise_open_file_limit()
    uvicorn.run(
        f"{PACKAGE}.main:app",
        host=settings.HOST,
        port=settings.PORT,
        reload=args.reload,
        workers=args.workers,
        # The app configures logging itself (request ids, levels); keep uvicorn's
        # default dictConfig from replacing it.
        log_config=None,
        log_level=settings.LOG_LEVEL.lower(),
        http=http,
        ws=ws,
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
