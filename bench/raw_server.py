"""The ceiling: a ``websockets`` asyncio server doing the same JSON round trip.

``python -m bench.raw_server --port P``; per-message-deflate is off, as in the uvicorn
servers. Runs on uvloop when it is installed, as uvicorn does.
"""

import argparse
import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

Handler = Callable[[ServerConnection], Awaitable[None]]


async def echo(connection: ServerConnection) -> None:
    """Decode and re-encode every text message, until the client leaves."""
    async for message in connection:
        await connection.send(json.dumps(json.loads(message)))


async def serve_until_signalled(handler: Handler, host: str, port: int, **options: Any) -> None:
    """Serve `handler` until SIGTERM or SIGINT (per-message-deflate off)."""
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set_result, None)
    async with serve(handler, host, port, compression=None, **options):
        await stop


def serve_main(handler: Handler, prog: str, **options: Any) -> None:
    """Parse ``--host``/``--port``; serve `handler` on uvloop (when installed) until signalled."""
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    coroutine = serve_until_signalled(handler, args.host, args.port, **options)
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


def main() -> None:
    """Serve the echo."""
    serve_main(echo, "python -m bench.raw_server", max_size=16 * 2**20)


if __name__ == "__main__":
    main()
