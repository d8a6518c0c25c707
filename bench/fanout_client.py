"""The room fan-out client: S subscribers and one publisher, against any of the servers.

``python -m bench.fanout_client --dialect D --ports P[,P2] --subscribers S --window W
--messages N --max-seconds T [--rate R]`` prints one JSON line. Every server speaks one of
three dialects (see `DIALECTS`); each chat carries ``@<seq>/<ns>@``, the publish sequence
number and the client's `time.perf_counter_ns` at sending, and each subscriber checks both
in every frame it gets (`DeliveryTracker`). With two ports (the two-process Redis modes),
subscribers alternate between them and the publisher uses the first, so half the room is
reached through Redis.

Window mode keeps at most W messages in flight (a message is in flight until every
subscriber has it) and measures delivered messages per second; rate mode publishes R
messages per second, well below every server's capacity, and measures delivery latency.
Both stop after N messages or T seconds, whichever comes first, then wait a bounded time
for stragglers; whatever has not arrived by then is lost.
"""

import argparse
import asyncio
import json
import re
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench import wsproto_lite as wsl
from bench.client import OPEN_TIMEOUT, ClientProtocol, run_and_print
from bench.servers import process_cpu_seconds
from bench.stats import percentile

ROOM = "bench"
# `@<seq>/<perf_counter_ns>@`: found by one regex in any server's frame, whatever wraps it.
MARK = re.compile(rb"@(\d+)/(\d+)@")
PROBE_SEQ = 0  # barrier probes; counted messages are numbered from 1
BARRIER_TIMEOUT = 3.0
PROBE_INTERVAL = 0.2
# No delivery for this long ends a window-mode run early (a server that lost messages
# would otherwise hold the window shut until `max_seconds`).
STALL_TIMEOUT = 2.0
DRAIN_TIMEOUT = 2.0


@dataclass(frozen=True)
class Dialect:
    """How one family of servers is spoken to.

    Attributes:
        target: the request target of the WebSocket handshake.
        join: a text frame each connection sends once open (None: connecting is joining).
        publish: the publisher's text frame; ``{mark}`` in it is replaced by the mark
            (plain replacement: the generated service's frame is JSON, full of braces).
        socketio: speak Engine.IO v4 / Socket.IO v5 on top (open packet, namespace
            connect, ping answers).
    """

    target: str
    join: str | None
    publish: str
    socketio: bool = False

    def frame(self, seq: int, stamp_ns: int) -> str:
        """The publisher's frame for message `seq`, sent at `stamp_ns`."""
        return self.publish.replace("{mark}", f"@{seq}/{stamp_ns}@")


DIALECTS = {
    # The generated service: token auth, then join the room; a chat frame goes to every member.
    "generated": Dialect(
        "/ws/chat?token=bench-token",
        json.dumps({"type": "join", "room": ROOM}),
        json.dumps({"type": "chat", "room": ROOM, "text": "{mark}"}),
    ),
    # The peers' and the ceiling's endpoint: every text frame is relayed as is to the room.
    "plain": Dialect("/ws", None, "{mark}"),
    # python-socketio: a "chat" event is emitted to the room.
    "socketio": Dialect("/socket.io/?EIO=4&transport=websocket", None, '42["chat","{mark}"]', True),
}


class DeliveryTracker:
    """Checks every delivered frame and keeps the figures of one run.

    Each subscriber must get each published message exactly once, in publish order, with
    the timestamp the publisher put in it. A first copy is delivered (and counted for
    throughput, latency and the window) even when it comes late; it is also out of order
    when its sequence number is below one that subscriber already got. A second copy of
    a message is out of order too, and not delivered again. A frame whose timestamp
    differs from the one sent is corrupt; one whose sequence number was never sent is
    unknown. Lost is what was sent and never arrived, in any order.
    """

    def __init__(self, subscribers: int, on_complete: Callable[[], None] | None = None) -> None:
        self.subscribers = subscribers
        self.last_seq = [0] * subscribers
        # Per subscriber, a byte per sequence number: 1 once that message arrived.
        self.seen = [bytearray() for _ in range(subscribers)]
        self.sent_ns: dict[int, int] = {}
        self.remaining: dict[int, int] = {}
        self.delivered = 0
        self.completed = 0
        self.out_of_order = 0
        self.corrupt = 0
        self.unknown = 0
        self.latencies_ns = array("q")
        self.last_delivery_ns = 0
        self._on_complete = on_complete

    def sent(self, seq: int, sent_ns: int) -> None:
        """Record a published message."""
        self.sent_ns[seq] = sent_ns
        self.remaining[seq] = self.subscribers

    def received(self, subscriber: int, seq: int, stamp_ns: int, now_ns: int) -> None:
        """Record one frame carrying `seq` and `stamp_ns`, received by `subscriber`."""
        if seq == PROBE_SEQ:
            return
        sent_ns = self.sent_ns.get(seq)
        if sent_ns is None:
            self.unknown += 1
            return
        if stamp_ns != sent_ns:
            self.corrupt += 1
        seen = self.seen[subscriber]
        if seq >= len(seen):
            seen.extend(bytes(seq + 1024 - len(seen)))
        if seen[seq]:
            self.out_of_order += 1  # a repeat
            return
        seen[seq] = 1
        if seq < self.last_seq[subscriber]:
            self.out_of_order += 1
        else:
            self.last_seq[subscriber] = seq
        self.delivered += 1
        self.last_delivery_ns = now_ns
        self.latencies_ns.append(now_ns - sent_ns)
        left = self.remaining[seq] - 1
        self.remaining[seq] = left
        if left == 0:
            self.completed += 1
            if self._on_complete is not None:
                self._on_complete()

    def lost(self) -> int:
        """Deliveries that never arrived (the message was sent, a subscriber never got it)."""
        return len(self.sent_ns) * self.subscribers - self.delivered

    def in_flight(self) -> int:
        """Messages sent that some subscriber has not got yet."""
        return len(self.sent_ns) - self.completed


class Member(ClientProtocol):
    """One WebSocket connection of the room: a subscriber (index >= 0) or the publisher."""

    def __init__(
        self, request: bytes, dialect: Dialect, index: int, tracker: DeliveryTracker
    ) -> None:
        super().__init__(request)
        self._dialect = dialect
        self._index = index
        self._tracker = tracker
        self._seen_probe = False
        self.ready: asyncio.Future[None] = self._loop.create_future()
        self.probed: asyncio.Future[None] = self._loop.create_future()

    def pending(self) -> list[asyncio.Future[Any] | None]:
        """The handshake, the join and the first probe."""
        return [self.opened, self.ready, self.probed]

    def on_open(self) -> None:
        """Join the room (or, for Socket.IO, wait for the Engine.IO open packet)."""
        if self._dialect.join is not None:
            self.send_text(self._dialect.join)
        elif not self._dialect.socketio:
            self.ready.set_result(None)

    def on_message(self, payload: bytes) -> None:
        """Check a chat's mark; otherwise follow the join or the Socket.IO handshake."""
        match = MARK.search(payload)
        if match is not None:
            seq = int(match[1])
            if seq == PROBE_SEQ:
                if not self._seen_probe:
                    self._seen_probe = True
                    self.probed.set_result(None)
            elif self._index >= 0:
                self._tracker.received(self._index, seq, int(match[2]), time.perf_counter_ns())
            return
        if self.ready.done():
            if self._dialect.socketio and payload == b"2":  # Engine.IO ping
                self.send_text("3")
            return
        if self._dialect.socketio:
            if payload.startswith(b"0{"):  # Engine.IO open: connect to the "/" namespace
                self.send_text("40")
            elif payload.startswith(b"40"):  # namespace connected (the room is entered)
                self.ready.set_result(None)
            elif payload.startswith(b"44"):
                self._fail(ConnectionError(f"namespace refused: {payload[:200]!r}"))
        elif payload.startswith(b'{"type":"joined"'):
            self.ready.set_result(None)
        elif payload.startswith(b'{"type":"error"'):
            self._fail(ConnectionError(f"server error: {payload[:200]!r}"))


async def open_member(port: int, dialect: Dialect, index: int, tracker: DeliveryTracker) -> Member:
    """Connect, upgrade and join; return once the server says (or implies) it is in the room."""
    loop = asyncio.get_running_loop()
    request = wsl.handshake_request("127.0.0.1", port, dialect.target)
    _, member = await asyncio.wait_for(
        loop.create_connection(lambda: Member(request, dialect, index, tracker), "127.0.0.1", port),
        OPEN_TIMEOUT,
    )
    await asyncio.wait_for(asyncio.shield(member.ready), OPEN_TIMEOUT)
    return member


async def barrier(publisher: Member, subscribers: list[Member], dialect: Dialect) -> int:
    """Publish probes until every subscriber got one: every subscription is live.

    Some servers subscribe after the handshake (broadcaster, Channels), some through Redis,
    with no frame to say when it took effect; counting starts only after this. A server
    that never reaches some subscribers is measured all the same (its losses are the
    finding): return how many got a probe within `BARRIER_TIMEOUT`.
    """
    probe = dialect.frame(PROBE_SEQ, 0)
    deadline = time.monotonic() + BARRIER_TIMEOUT
    while True:
        waiting = [member.probed for member in subscribers if not member.probed.done()]
        if not waiting or time.monotonic() > deadline:
            break
        publisher.send_text(probe)
        await asyncio.wait(waiting, timeout=PROBE_INTERVAL)
    await asyncio.sleep(PROBE_INTERVAL)  # let late probes drain before counting starts
    return sum(member.probed.done() for member in subscribers)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """One run: open the room, pass the barrier, publish, drain, report."""
    dialect = DIALECTS[args.dialect]
    ports = [int(port) for port in args.ports.split(",")]
    progress = asyncio.Event()
    tracker = DeliveryTracker(args.subscribers, progress.set)
    gate = asyncio.Semaphore(50)

    async def opened(index: int) -> Member:
        async with gate:
            return await open_member(ports[index % len(ports)], dialect, index, tracker)

    subscribers = list(await asyncio.gather(*(opened(i) for i in range(args.subscribers))))
    publisher = await open_member(ports[0], dialect, -1, tracker)
    try:
        reached = await barrier(publisher, subscribers, dialect)
        pids = [int(pid) for pid in args.server_pids.split(",") if pid]
        server_cpu = sum(map(process_cpu_seconds, pids))
        cpu_started = time.process_time()
        started_ns = time.perf_counter_ns()
        if args.rate:
            await publish_at_rate(publisher, dialect, tracker, args)
        else:
            await publish_windowed(publisher, dialect, tracker, progress, args)
        await drain(tracker, progress)
        client_cpu = time.process_time() - cpu_started
        server_cpu = sum(map(process_cpu_seconds, pids)) - server_cpu
    finally:
        await asyncio.gather(
            *(member.close() for member in [publisher, *subscribers]), return_exceptions=True
        )
    elapsed = max(tracker.last_delivery_ns - started_ns, 1) / 1e9
    latencies = tracker.latencies_ns or array("q", [0])
    return {
        "reached_by_probe": reached,
        "published": len(tracker.sent_ns),
        "delivered": tracker.delivered,
        "elapsed": elapsed,
        "delivered_per_s": tracker.delivered / elapsed,
        "lost": tracker.lost(),
        "out_of_order": tracker.out_of_order,
        "corrupt": tracker.corrupt,
        "unknown": tracker.unknown,
        "p50_ms": percentile(latencies, 50) / 1e6,
        "p99_ms": percentile(latencies, 99) / 1e6,
        "client_cpu_share": client_cpu / elapsed,
        "server_cpu_s": server_cpu,
    }


async def publish_windowed(
    publisher: Member,
    dialect: Dialect,
    tracker: DeliveryTracker,
    progress: asyncio.Event,
    args: argparse.Namespace,
) -> None:
    """Publish up to `messages`, never more than `window` in flight, for at most `max_seconds`."""
    deadline = time.monotonic() + args.max_seconds
    for seq in range(1, args.messages + 1):
        while tracker.in_flight() >= args.window:
            progress.clear()
            try:
                await asyncio.wait_for(progress.wait(), STALL_TIMEOUT)
            except TimeoutError:
                return  # stalled: messages were lost, the window will not open again
        if time.monotonic() > deadline:
            return
        send(publisher, dialect, tracker, seq)


async def publish_at_rate(
    publisher: Member, dialect: Dialect, tracker: DeliveryTracker, args: argparse.Namespace
) -> None:
    """Publish `rate` messages per second on a fixed schedule (not paced by deliveries)."""
    interval = 1 / args.rate
    count = min(args.messages, max(1, int(args.max_seconds * args.rate)))
    started = time.monotonic()
    for seq in range(1, count + 1):
        delay = started + (seq - 1) * interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        send(publisher, dialect, tracker, seq)


def send(publisher: Member, dialect: Dialect, tracker: DeliveryTracker, seq: int) -> None:
    """Publish message `seq`, stamped with the time it leaves."""
    now = time.perf_counter_ns()
    tracker.sent(seq, now)
    publisher.send_text(dialect.frame(seq, now))


async def drain(tracker: DeliveryTracker, progress: asyncio.Event) -> None:
    """Wait until every message reached every subscriber, or nothing arrived for a while."""
    while tracker.in_flight():
        progress.clear()
        try:
            await asyncio.wait_for(progress.wait(), DRAIN_TIMEOUT)
        except TimeoutError:
            return


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The client's command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.fanout_client", description=__doc__)
    parser.add_argument("--dialect", choices=sorted(DIALECTS), required=True)
    parser.add_argument("--ports", required=True, help="one port, or two separated by a comma")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--window", type=int, default=32, help="messages in flight at most")
    parser.add_argument("--messages", type=int, default=2000, help="messages at most")
    parser.add_argument("--max-seconds", type=float, default=5.0, help="publishing time at most")
    parser.add_argument("--rate", type=float, default=0.0, help="fixed publish rate (latency)")
    parser.add_argument(
        "--server-pids", default="", help="processes whose CPU time the run reports (comma list)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Run once and print the results as one JSON line."""
    run_and_print(run(parse_args(argv)))


if __name__ == "__main__":
    main()
