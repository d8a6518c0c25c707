"""The ceiling: a bare ``websockets`` server relaying to the room with ``broadcast()``.

``websockets.broadcast(connections, message)`` writes the frame to every connection
without awaiting any of them: the least a Python server can do per delivery. One
process, no broker (it is the ceiling of both modes); per-message-deflate off, uvloop when
installed, as uvicorn does. ``python -m bench.peers.raw_broadcast --port P``.
"""

from websockets.asyncio.server import ServerConnection, broadcast

from bench.raw_server import serve_main

MEMBERS: set[ServerConnection] = set()


async def member(connection: ServerConnection) -> None:
    """Join the room; relay every text frame to all of it, until the client leaves."""
    MEMBERS.add(connection)
    try:
        async for message in connection:
            broadcast(MEMBERS, message)
    finally:
        MEMBERS.discard(connection)


def main() -> None:
    """Serve the room."""
    serve_main(member, "python -m bench.peers.raw_broadcast")


if __name__ == "__main__":
    main()
