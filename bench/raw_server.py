"""The ceiling: a ``websockets`` asyncio server doing the same JSON round trip.

``python -m bench.raw_server --port P``; per-message-deflate is off, as in the uvicorn
servers. Runs on uvloop when it is installed, as uvicorn does.
"""

import argparse
import asyncio
import json
import signal

from websockets.asyncio.server import ServerConnection, serve


async def echo(connection: ServerConnection) -> None:
    """Decode and re-encode every text message, until the client leaves."""
    async for message in connection:
        await connection.send(json.dumps(json.loads(message)))


async def serve_until_signalled(host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT."""
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set_result, None)
    async with serve(echo, host, port, compression=None, max_size=16 * 2**20):
        await stop


def main() -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m bench.raw_server", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    coroutine = serve_until_signalled(args.host, args.port)
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


if __name__ == "__main__":
    main()
