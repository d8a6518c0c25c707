"""The load generator: one process, many WebSocket connections, closed loop.

``python -m bench.client echo|idle|connect --port P ...`` prints one JSON line with its
results. It runs in its own process so it can be pinned to its own core.
"""

import argparse
import asyncio
import contextlib
import json
import resource
import sys
import time
from array import array
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, cast

from bench import wsproto_lite as wsl
from bench.stats import percentile

# A small chat frame: the case per-message overhead matters most for.
PAYLOAD = {"type": "echo", "data": "hello from the benchmark, a short chat message"}
REPLY_PREFIX = b'{"type"'
OPEN_TIMEOUT = 10.0
REPLY_TIMEOUT = 10.0


class ConnectionClosedError(Exception):
    """The connection closed while a reply was awaited."""


class ClientProtocol(asyncio.Protocol):
    """A client WebSocket's wire side: the handshake, frame parsing, pongs and the close.

    Subclasses get every text or binary payload in `on_message`, and name the futures a
    broken connection must fail in `pending`.
    """

    def __init__(self, request: bytes) -> None:
        self._request = request
        self._head = bytearray()
        self._buffer = bytearray()
        self._loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = self._loop.create_future()
        self.closed: asyncio.Future[None] = self._loop.create_future()
        self._transport: asyncio.Transport | None = None
        self._upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Send the upgrade request."""
        # uvloop's transports are not asyncio.Transport subclasses, but behave as one.
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def data_received(self, data: bytes) -> None:
        """Finish the handshake, then hand text and binary payloads to `on_message`."""
        if not self._upgraded:
            self._head += data
            head, sep, rest = bytes(self._head).partition(wsl.HEADER_END)
            if not sep:
                return
            try:
                wsl.check_handshake_response(head)
            except wsl.ProtocolError as exc:
                self._fail(exc)
                return
            self._upgraded = True
            self.opened.set_result(None)
            self.on_open()
            data = rest
        self._buffer += data
        try:
            frames = wsl.parse_frames(self._buffer)
        except wsl.ProtocolError as exc:
            self._fail(exc)
            return
        for opcode, payload in frames:
            if opcode in (wsl.OP_TEXT, wsl.OP_BINARY):
                self.on_message(payload)
            elif opcode == wsl.OP_PING:
                self._write(wsl.client_frame(wsl.OP_PONG, payload))
            elif opcode == wsl.OP_CLOSE:
                self._write(wsl.client_frame(wsl.OP_CLOSE, payload[:2]))
                self._fail(ConnectionClosedError(payload[:2].hex() or "no code"))

    def on_open(self) -> None:
        """The handshake is done (nothing to do by default)."""

    def on_message(self, payload: bytes) -> None:
        """One text or binary message from the server."""
        raise NotImplementedError

    def pending(self) -> list[asyncio.Future[Any] | None]:
        """The futures a broken connection fails."""
        return [self.opened]

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail whatever still waits."""
        self._fail(ConnectionClosedError(str(exc or "connection lost")))

    def send_text(self, text: str) -> None:
        """Send one text frame (dropped once the connection is closing)."""
        self._write(wsl.client_frame(wsl.OP_TEXT, text.encode()))

    def _write(self, data: bytes) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def _fail(self, exc: Exception) -> None:
        for future in self.pending():
            if future is not None and not future.done():
                future.set_exception(exc)
                future.exception()  # retrieved: a failure nobody awaits is no warning
        if not self.closed.done():
            self.closed.set_result(None)
        if self._transport is not None:
            self._transport.close()

    async def close(self) -> None:
        """Close handshake: send 1000, wait (briefly) for the server's close, drop the socket."""
        self._write(wsl.close_frame(1000))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.closed), OPEN_TIMEOUT)
        if self._transport is not None:
            self._transport.close()


class Connection(ClientProtocol):
    """One client WebSocket of the echo benchmark: one request in flight at a time."""

    def __init__(self, request: bytes) -> None:
        super().__init__(request)
        self._waiter: asyncio.Future[bytes] | None = None
        self.frame = wsl.client_frame(wsl.OP_TEXT, json.dumps(PAYLOAD).encode())

    def on_message(self, payload: bytes) -> None:
        """Hand the reply to the waiting request."""
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(payload)

    def pending(self) -> list[asyncio.Future[Any] | None]:
        """The handshake and the request in flight."""
        return [self.opened, self._waiter]

    async def request(self) -> bytes:
        """Send the echo frame and wait for the next text frame."""
        waiter = self._waiter = self._loop.create_future()
        assert self._transport is not None
        self._transport.write(self.frame)
        return await waiter


async def open_connection(host: str, port: int, target: str, origin: str | None) -> Connection:
    """Connect and finish the WebSocket handshake."""
    loop = asyncio.get_running_loop()
    request = wsl.handshake_request(host, port, target, origin)
    _, conn = await asyncio.wait_for(
        loop.create_connection(lambda: Connection(request), host, port), OPEN_TIMEOUT
    )
    await asyncio.wait_for(asyncio.shield(conn.opened), OPEN_TIMEOUT)
    return conn


async def checked_request(conn: Connection) -> bool:
    """One round trip; True when the reply is an echo (not an error frame)."""
    reply = await asyncio.wait_for(conn.request(), REPLY_TIMEOUT)
    return reply.startswith(REPLY_PREFIX)


async def verify_echo(conn: Connection) -> None:
    """Check one full reply: a JSON echo of the payload's data.

    Raises:
        wsl.ProtocolError: the server answered something else (e.g. an auth error).
    """
    reply = await asyncio.wait_for(conn.request(), REPLY_TIMEOUT)
    decoded = json.loads(reply)
    if decoded.get("type") != "echo" or decoded.get("data") != PAYLOAD["data"]:
        raise wsl.ProtocolError(f"unexpected reply: {reply[:200]!r}")


async def open_many(
    count: int, concurrency: int, opener: Callable[[], Awaitable[Connection]]
) -> list[Connection]:
    """Open `count` connections, at most `concurrency` handshakes at a time."""
    gate = asyncio.Semaphore(concurrency)

    async def one() -> Connection:
        async with gate:
            conn = await opener()
            await verify_echo(conn)
            return conn

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def close_all(conns: list[Connection]) -> None:
    """Close every connection (bounded by each close's own timeout)."""
    await asyncio.gather(*(conn.close() for conn in conns), return_exceptions=True)


async def run_echo(args: argparse.Namespace) -> dict[str, Any]:
    """`conns` connections each send `msgs` messages, awaiting every reply."""
    conns = await open_many(args.conns, 50, lambda: _open(args))
    latencies = array("d")
    errors = 0

    async def worker(conn: Connection) -> None:
        nonlocal errors
        clock = time.perf_counter
        for _ in range(args.msgs):
            started = clock()
            if not await checked_request(conn):
                errors += 1
            latencies.append(clock() - started)

    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(conn) for conn in conns))
    elapsed = time.perf_counter() - started
    client_cpu = time.process_time() - cpu_started
    await close_all(conns)
    return {
        "client_cpu_share": client_cpu / elapsed,
        "messages": len(latencies),
        "elapsed": elapsed,
        "msgs_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "errors": errors,
    }


async def run_idle(args: argparse.Namespace) -> dict[str, Any]:
    """Open `conns` authenticated sessions, report, hold them until stdin says go."""
    started = time.perf_counter()
    conns = await open_many(args.conns, 50, lambda: _open(args))
    elapsed = time.perf_counter() - started
    print(json.dumps({"ready": len(conns), "connect_s": elapsed}), flush=True)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(loop.run_in_executor(None, sys.stdin.readline), args.hold)
    alive = sum(not conn.closed.done() for conn in conns)
    await close_all(conns)
    return {"opened": len(conns), "alive_at_end": alive}


async def run_connect(args: argparse.Namespace) -> dict[str, Any]:
    """`conns` handshakes in total (with auth), `concurrency` at a time, each closed at once."""
    first = await _open(args)
    await verify_echo(first)  # the token is accepted: the handshakes below authenticate
    await first.close()
    remaining = args.conns

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            conn = await _open(args)
            await conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(args.concurrency)))
    elapsed = time.perf_counter() - started
    return {"handshakes": args.conns, "elapsed": elapsed, "per_s": args.conns / elapsed}


def _open(args: argparse.Namespace) -> Awaitable[Connection]:
    return open_connection(args.host, args.port, args.target, args.origin)


MODES = {"echo": run_echo, "idle": run_idle, "connect": run_connect}


def raise_nofile_limit() -> None:
    """Lift the soft open-files limit to the hard one (1,000 sockets need it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The client's command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.client", description=__doc__)
    parser.add_argument("mode", choices=sorted(MODES))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--target", default="/ws/chat", help="path and query string")
    parser.add_argument("--origin", default=None, help="Origin header to send")
    parser.add_argument("--conns", type=int, default=10)
    parser.add_argument("--msgs", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--hold", type=float, default=120.0, help="idle: longest hold (s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run one mode and print its results as one JSON line."""
    args = parse_args(argv)
    run_and_print(MODES[args.mode](args))


def run_and_print(coroutine: Coroutine[Any, Any, dict[str, Any]]) -> None:
    """Run a client's `coroutine` with the file limit lifted; print its result as JSON."""
    raise_nofile_limit()
    try:
        import uvloop  # the servers run on uvloop when it is installed; so does the client
    except ImportError:
        result = asyncio.run(coroutine)
    else:
        result = uvloop.run(coroutine)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
