"""The capacity benchmark's load client: one process holding a slice of the sessions.

``python -m bench.capacity_client hold --port P --first I --count N`` reads one JSON
command a line on stdin and answers each with one JSON line on stdout, tagged with the
command's ``id`` (commands run concurrently, so a wait never blocks a publish):

- ``open``: open the slice's sessions (`concurrency` handshakes at a time), each from a
  source address of its own block of 127.0.0.0/8 (`source_address`), each proving its
  token with one echo; answers ``opened``, ``failed`` and ``connect_s``.
- ``join``: each session joins room ``r<index % rooms>`` (when `rooms` > 0) and the
  `extra` rooms, sessions with a global index below `limit` only; answers ``joined``.
- ``await``: wait (bounded) until `expect` sessions got the chat marked with `seq`;
  answers how many did and the ``CLOCK_MONOTONIC`` time of the last one.
- ``publish``: the slice's first session sends a chat marked ``@seq/now@`` to `room`.
- ``closes``: wait (bounded) until every session was closed by the server; answers the
  close codes and the time of the last close.
- ``quit``: close what is open and exit.

``python -m bench.capacity_client stream --port P --rate R --seconds T`` is the echo
stream: one session sends R echoes a second (one in flight at most) and prints the
latencies' percentiles. Time is ``time.monotonic_ns`` (``CLOCK_MONOTONIC``) everywhere:
one clock for every process of the machine, so the coordinator can compare them.
"""

import argparse
import asyncio
import contextlib
import ipaddress
import json
import re
import sys
import time
from array import array
from collections import Counter
from typing import Any

from bench import wsproto_lite as wsl
from bench.client import (
    OPEN_TIMEOUT,
    Connection,
    ConnectionClosedError,
    checked_request,
    run_and_print,
    verify_echo,
)
from bench.fanout_client import MARK
from bench.stats import percentile

# Sessions per source address: well inside one address's ephemeral ports (32768-60999).
SESSIONS_PER_ADDRESS = 10_000
FIRST_SOURCE = int(ipaddress.IPv4Address("127.0.1.1"))
LAST_SOURCE = int(ipaddress.IPv4Address("127.255.255.254"))
JOIN_BATCH = 200
JOIN_TRIES = 5
JOIN_RETRY_PAUSE = 0.5
BROKER_UNAVAILABLE = 50010  # the service's "rooms are unavailable, try again"
COMMAND_TIMEOUT = 600.0


def source_address(index: int, per_address: int = SESSIONS_PER_ADDRESS) -> str:
    """The loopback source address of session `index`: a new one every `per_address` sessions.

    Addresses start at 127.0.1.1 and stay within 127.0.0.0/8, so that no single address
    runs out of ephemeral ports, whatever the number of sessions.

    Raises:
        ValueError: `index` is negative or beyond what 127.0.0.0/8 can hold.
    """
    if index < 0 or per_address < 1:
        raise ValueError(f"no source address for session {index} ({per_address} per address)")
    address = FIRST_SOURCE + index // per_address
    if address > LAST_SOURCE:
        raise ValueError(f"session {index} is beyond 127.0.0.0/8 at {per_address} per address")
    return str(ipaddress.IPv4Address(address))


def session_target(index: int) -> str:
    """Session `index`'s request target: each session is a user of its own (token ``t<index>``)."""
    return f"/ws/chat?token=t{index}"


def close_code(reason: str) -> int | None:
    """The close code in a `ConnectionClosedError`'s text (the frame's first two bytes, hex)."""
    try:
        return int(reason, 16) if len(reason) == 4 else None
    except ValueError:
        return None


class Marks:
    """Per marked chat: how many sessions got it, and when the last one did."""

    def __init__(self) -> None:
        self.count: Counter[int] = Counter()
        # Frames nobody waited for (error frames, say), for the answers' diagnostics.
        self.other: Counter[str] = Counter()
        self.last_ns: dict[int, int] = {}
        self.changed = asyncio.Event()

    def received(self, seq: int, now_ns: int) -> None:
        """One session got chat `seq` at `now_ns`."""
        self.count[seq] += 1
        self.last_ns[seq] = max(self.last_ns.get(seq, 0), now_ns)
        self.changed.set()


class Session(Connection):
    """An echo connection that also counts room acknowledgements, marked chats and its close."""

    def __init__(self, request: bytes, marks: Marks) -> None:
        super().__init__(request)
        self._marks = marks
        self.rooms: set[str] = set()
        self.refused: set[str] = set()
        self.closed_code: int | None = None
        self.closed_ns = 0

    def on_message(self, payload: bytes) -> None:
        """Chats and join acknowledgements are counted; anything else answers a request."""
        if payload.startswith(b'{"type":"chat"'):
            found = MARK.search(payload)
            if found:
                self._marks.received(int(found.group(1)), time.monotonic_ns())
            return
        if payload.startswith(b'{"type":"joined"'):
            self.rooms.add(json.loads(payload)["room"])
            return
        if self._waiter is None or self._waiter.done():
            frame = json.loads(payload)
            if frame.get("status") == BROKER_UNAVAILABLE and "room" in frame:
                self.refused.add(frame["room"])
            self._marks.other[str(frame.get("status", frame.get("type")))] += 1
            return
        super().on_message(payload)

    def abort(self) -> None:
        """Drop the socket at once, without a close handshake."""
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, exc: Exception) -> None:
        if not self.closed.done():
            self.closed_ns = time.monotonic_ns()
            if isinstance(exc, ConnectionClosedError):
                self.closed_code = close_code(str(exc))
        super()._fail(exc)


class Slice:
    """The sessions one load process holds, and the commands it answers."""

    def __init__(self, host: str, port: int, first: int, count: int) -> None:
        self.host, self.port, self.first, self.count = host, port, first, count
        self.marks = Marks()
        self.sessions: list[Session] = []

    async def open_one(self, index: int) -> Session:
        """Open session `index` from its source address and check its token with one echo."""
        loop = asyncio.get_running_loop()
        request = wsl.handshake_request(self.host, self.port, session_target(index))
        _, session = await asyncio.wait_for(
            loop.create_connection(
                lambda: Session(request, self.marks),
                self.host,
                self.port,
                local_addr=(source_address(index), 0),
            ),
            OPEN_TIMEOUT,
        )
        try:
            await asyncio.wait_for(asyncio.shield(session.opened), OPEN_TIMEOUT)
            await verify_echo(session)
        except BaseException:
            session.abort()  # a refused or stuck session must not keep its socket
            raise
        return session

    async def open(self, concurrency: int) -> dict[str, Any]:
        """Open the slice's sessions; failures are counted, with the first few reasons."""
        gate = asyncio.Semaphore(max(concurrency, 1))
        errors: Counter[str] = Counter()

        async def one(index: int) -> None:
            async with gate:
                try:
                    self.sessions.append(await self.open_one(index))
                # RuntimeError: uvloop refuses a write to a socket the server already closed.
                except (
                    OSError,
                    RuntimeError,
                    TimeoutError,
                    ConnectionClosedError,
                    wsl.ProtocolError,
                ) as exc:
                    # Without object addresses, so that one cause counts as one.
                    errors[re.sub(r"0x[0-9a-f]+", "0x.", f"{type(exc).__name__}: {exc}")[:120]] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(self.first + i) for i in range(self.count)))
        return {
            "opened": len(self.sessions),
            "failed": sum(errors.values()),
            "errors": dict(errors.most_common(3)),
            "connect_s": time.perf_counter() - started,
        }

    async def join(self, rooms: int, extra: list[str], limit: int | None, timeout: float) -> dict:
        """Join the rooms, `JOIN_BATCH` sessions at a time, each batch acknowledged first.

        A join refused with 50010 ("try again") is sent again after a pause, at most
        `JOIN_TRIES` times in all: what a client is told to do.
        """
        started = time.perf_counter()
        deadline = time.monotonic() + timeout
        members = [
            (self.first + i, s)
            for i, s in enumerate(self.sessions)
            if limit is None or self.first + i < limit
        ]
        retried = 0
        for start in range(0, len(members), JOIN_BATCH):
            wanted = [
                (session, name)
                for index, session in members[start : start + JOIN_BATCH]
                for name in ([f"r{index % rooms}"] if rooms else []) + extra
            ]
            for attempt in range(JOIN_TRIES):
                if attempt:
                    retried += len(wanted)
                    await asyncio.sleep(JOIN_RETRY_PAUSE)
                for session, name in wanted:
                    session.refused.discard(name)
                    session.send_text(json.dumps({"type": "join", "room": name}))
                while time.monotonic() < deadline and any(
                    name not in s.rooms and name not in s.refused for s, name in wanted
                ):
                    await asyncio.sleep(0.01)
                wanted = [(s, name) for s, name in wanted if name not in s.rooms]
                if not wanted or time.monotonic() >= deadline:
                    break
        return {
            "joined": sum(len(s.rooms) for s in self.sessions),
            "retried": retried,
            "join_s": time.perf_counter() - started,
            "other_frames": dict(self.marks.other.most_common(3)),
        }

    async def wait_marked(self, seq: int, expect: int, timeout: float) -> dict[str, Any]:
        """Wait until `expect` sessions got chat `seq` (or `timeout` seconds passed)."""
        deadline = time.monotonic() + timeout
        while self.marks.count[seq] < expect and time.monotonic() < deadline:
            self.marks.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.marks.changed.wait(), deadline - time.monotonic())
        return {"received": self.marks.count[seq], "last_ns": self.marks.last_ns.get(seq, 0)}

    def publish(self, room: str, seq: int) -> dict[str, Any]:
        """The first session sends chat `seq` to `room`, stamped with the time it was sent."""
        sent_ns = time.monotonic_ns()
        text = f"@{seq}/{sent_ns}@"
        self.sessions[0].send_text(json.dumps({"type": "chat", "room": room, "text": text}))
        return {"sent_ns": sent_ns}

    async def closes(self, timeout: float) -> dict[str, Any]:
        """Wait until the server closed every session (bounded); their codes and the last time."""
        waiting = [s.closed for s in self.sessions if not s.closed.done()]
        if waiting:
            await asyncio.wait(waiting, timeout=timeout)
        codes = Counter(str(s.closed_code) for s in self.sessions if s.closed.done())
        return {
            "closed": sum(codes.values()),
            "codes": dict(codes),
            "last_ns": max((s.closed_ns for s in self.sessions), default=0),
        }

    async def quit(self) -> dict[str, Any]:
        """Close every open session."""
        alive = [s for s in self.sessions if not s.closed.done()]
        await asyncio.gather(*(s.close() for s in alive), return_exceptions=True)
        return {"closed_by_client": len(alive)}

    async def answer(self, command: dict[str, Any]) -> dict[str, Any]:
        """Run one command."""
        name = command["cmd"]
        timeout = float(command.get("timeout", COMMAND_TIMEOUT))
        if name == "open":
            return await self.open(int(command.get("concurrency", 50)))
        if name == "join":
            rooms, extra, limit = command["rooms"], command["extra"], command.get("limit")
            return await self.join(rooms, extra, limit, timeout)
        if name == "await":
            return await self.wait_marked(command["seq"], command["expect"], timeout)
        if name == "publish":
            return self.publish(command["room"], command["seq"])
        if name == "closes":
            return await self.closes(timeout)
        if name == "quit":
            return await self.quit()
        raise ValueError(f"unknown command {name!r}")


async def serve_commands(args: argparse.Namespace) -> dict[str, Any]:
    """Answer commands from stdin until ``quit`` or end of input."""
    held = Slice(args.host, args.port, args.first, args.count)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    tasks: set[asyncio.Task[None]] = set()

    async def run(command: dict[str, Any]) -> None:
        try:
            result = await held.answer(command)
        except Exception as exc:  # reported to the coordinator, which raises it
            result = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps({"id": command.get("id"), **result}), flush=True)

    while line := await reader.readline():
        command = json.loads(line)
        if command["cmd"] == "quit":
            await asyncio.gather(*tasks, return_exceptions=True)
            await run(command)
            break
        task = asyncio.create_task(run(command))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    return {"id": "end"}


async def echo_stream(args: argparse.Namespace) -> dict[str, Any]:
    """`rate` echoes a second for `seconds` on one session; latency percentiles in ms."""
    loop = asyncio.get_running_loop()
    request = wsl.handshake_request(args.host, args.port, session_target(0))
    _, conn = await loop.create_connection(lambda: Connection(request), args.host, args.port)
    await asyncio.wait_for(asyncio.shield(conn.opened), OPEN_TIMEOUT)
    await verify_echo(conn)
    latencies, errors = array("d"), 0
    interval = 1.0 / args.rate
    started = time.perf_counter()
    for sent in range(int(args.rate * args.seconds)):
        pause = started + sent * interval - time.perf_counter()
        if pause > 0:
            await asyncio.sleep(pause)
        before = time.perf_counter()
        if not await checked_request(conn):
            errors += 1
        latencies.append(time.perf_counter() - before)
    await conn.close()
    return {
        "messages": len(latencies),
        "errors": errors,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The load client's command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.capacity_client", description=__doc__)
    parser.add_argument("mode", choices=["hold", "stream"])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--first", type=int, default=0, help="hold: global index of the first")
    parser.add_argument("--count", type=int, default=0, help="hold: sessions in this slice")
    parser.add_argument("--rate", type=float, default=100.0, help="stream: echoes a second")
    parser.add_argument("--seconds", type=float, default=5.0, help="stream: how long")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run the mode; ``hold`` answers commands, ``stream`` prints its figures."""
    args = parse_args(argv)
    run_and_print(serve_commands(args) if args.mode == "hold" else echo_stream(args))


if __name__ == "__main__":
    main()
