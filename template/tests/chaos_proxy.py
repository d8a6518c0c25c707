"""A TCP proxy on 127.0.0.1 that breaks connections the ways networks do, on command.

It runs its own event loop in a thread, so a test drives it from any thread or loop:

- `reset_all`: every open connection is reset (RST, as from a crashed middlebox);
- `blackhole`: bytes are dropped both ways and nothing is closed, as on a dead path. A
  connection that lost bytes stays dead until an endpoint gives up on it (the rest of its
  stream would be garbage), so only a client's own liveness check can notice;
- `set_latency`: every forwarded chunk is delayed (in order, without limiting throughput);
- `switch_to`: new connections go to another upstream (a second service process).

Standard library only: the TypeScript client's browser test uses it too.
"""

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")

KINDS = ("reset", "blackhole", "latency", "switch")
CHUNK = 65536
# Chunks waiting for their delay, per direction: enough to keep a fast link busy.
QUEUE_CHUNKS = 256
CALL_TIMEOUT = 10.0


class _Link:
    """One proxied connection: the client's side, the upstream's side, and whether it died."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.dead = False
        self.tasks: list[asyncio.Task[None]] = []

    def writers(self) -> list[asyncio.StreamWriter]:
        return [w for w in (self.client, self.upstream) if w is not None]


class ChaosProxy:
    """Forwards 127.0.0.1:`port` to ``127.0.0.1:upstreams[current]``, and disrupts on demand."""

    def __init__(self, upstreams: list[int]) -> None:
        if not upstreams:
            raise ValueError("at least one upstream port")
        # Public, so a test can point an index at a restarted process's new port.
        self.upstreams = list(upstreams)
        self.current = 0
        self.port = 0
        self.counts: dict[str, int] = dict.fromkeys(KINDS, 0)
        self._latency = 0.0
        self._blackhole = False
        self._links: set[_Link] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle.

    def start(self) -> None:
        """Listen on a free port (then in `port`) and forward from a thread of its own."""
        loop = asyncio.new_event_loop()
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            self._server = loop.run_until_complete(
                asyncio.start_server(self._accept, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()
            loop.run_forever()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="chaos-proxy", daemon=True)
        self._thread.start()
        if not started.wait(CALL_TIMEOUT):
            raise RuntimeError("the chaos proxy did not start")

    def stop(self) -> None:
        """Close the listener and every connection, and end the thread."""
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError):
            self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(CALL_TIMEOUT)
        self._loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> "ChaosProxy":
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # Disruptions (from any thread).

    def reset_all(self) -> int:
        """Reset every open connection, both sides (SO_LINGER 0: RST); returns how many."""
        count = self._call(self._reset_all())
        self.counts["reset"] += 1
        return count

    def blackhole(self, on: bool) -> None:
        """Drop all bytes, both ways, of open and new connections, closing nothing."""
        if on and not self._blackhole:
            self.counts["blackhole"] += 1
        self._blackhole = on

    def set_latency(self, seconds: float) -> None:
        """Delay every forwarded chunk by `seconds` (0: none)."""
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        if seconds > 0:
            self.counts["latency"] += 1
        self._latency = seconds

    def switch_to(self, index: int) -> None:
        """Send new connections to ``upstreams[index]`` (open ones stay where they are)."""
        if not 0 <= index < len(self.upstreams):
            raise IndexError(f"no upstream {index}")
        self.current = index
        self.counts["switch"] += 1

    # The loop's side.

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            raise RuntimeError("the chaos proxy is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        link = _Link(writer)
        link.dead = self._blackhole
        self._links.add(link)
        try:
            port = self.upstreams[self.current]
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                _abort(writer, rst=True)
                return
            link.upstream = up_writer
            link.tasks = [
                asyncio.create_task(self._pipe(reader, up_writer, link)),
                asyncio.create_task(self._pipe(up_reader, writer, link)),
            ]
            await asyncio.wait(link.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._links.discard(link)
            for task in link.tasks:
                task.cancel()
            for side in link.writers():
                _abort(side, rst=False)

    async def _pipe(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: _Link
    ) -> None:
        """Forward one direction: chunks keep their order, each sent when its delay is up."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue(QUEUE_CHUNKS)

        async def send() -> None:
            while True:
                due, data = await queue.get()
                if (delay := due - loop.time()) > 0:
                    await asyncio.sleep(delay)
                if not link.dead:
                    writer.write(data)
                    await writer.drain()
                queue.task_done()

        sender = asyncio.create_task(send())
        try:
            while data := await reader.read(CHUNK):
                if self._blackhole:
                    link.dead = True
                if link.dead:
                    continue
                await queue.put((loop.time() + self._latency, data))
            # The other side closed: what is still delayed goes out first.
            await queue.join()
        except (ConnectionError, OSError):
            pass
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                await sender

    async def _reset_all(self) -> int:
        links = list(self._links)
        for link in links:
            for side in link.writers():
                _abort(side, rst=True)
            for task in link.tasks:
                task.cancel()
        return len(links)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        await self._reset_all()
        # Every forwarding task ends here, so none is left pending when the loop stops.
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _abort(writer: asyncio.StreamWriter, *, rst: bool) -> None:
    """Close at once; with `rst`, as a reset (SO_LINGER 0) instead of a FIN."""
    sock = writer.get_extra_info("socket")
    if rst and sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
