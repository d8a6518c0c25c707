"""Room fan-out with history on and off: what keeping history costs per published message.

The generated service's brokers publish chat frames to one room with many members, once
with the default history and once with ``HISTORY_SIZE=0``, taking turns in one process:
the in-process broker (history is a ring per room), and, when ``redis-server`` is
installed, the Redis broker on a throwaway local Redis (history is a stream appended by the
publish script; the time runs from the first publish to the last delivery). A member is a
stand-in for a connection whose ``deliver`` only counts (the real one appends to a queue):
what is timed is the broker's work per message, which history can change, not the
WebSocket writes, which it cannot.

``python -m bench.fanout --project DIR --members M --messages K --rounds R [--redis URL]``
is the process that measures (one per broker, started by `run_fanout`). The goal (history costs
at most 15% throughput) is reported, never asserted.
"""

import argparse
import asyncio
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.servers import GENERATED_PACKAGE, Pinning, free_port, generate_once
from bench.stats import Spread, median, paired_ratios, verdict
from bench.ws_bench import rotated

HISTORY_ON = 500  # the generated service's default HISTORY_SIZE
HISTORY_OFF = 0
MODES = {"history on": HISTORY_ON, "history off": HISTORY_OFF}
# History on may cost at most 15% of the fan-out throughput without it.
GOAL_RATIO = 0.85
TIMEOUT = 600.0  # the whole measuring process, every round of both modes
CHAT = {"type": "chat", "room": "bench", "from": "bench-user", "text": "hello, room"}
# Concurrent publishers on the Redis broker: each waits for Redis to take its chat.
REDIS_PUBLISHERS = 8
REDIS_START_TIMEOUT = 10.0


class CountingMember:
    """A room member that only counts its frames (a connection's deliver is one append)."""

    __slots__ = ("frames",)

    def __init__(self) -> None:
        self.frames = 0

    def deliver(self, text: str) -> None:
        self.frames += 1


@dataclass
class FanoutResults:
    """Per mode: deliveries per second and microseconds per published message, per round."""

    broker: str
    members: int
    messages: int
    deliveries_per_s: dict[str, list[float]] = field(default_factory=dict)
    us_per_message: dict[str, list[float]] = field(default_factory=dict)

    def ratios(self) -> list[float]:
        """History on / history off throughput, round by round."""
        return paired_ratios(
            self.deliveries_per_s["history on"], self.deliveries_per_s["history off"]
        )


class LastMember(CountingMember):
    """The room's last member: also marks when it got `expected` frames."""

    __slots__ = ("done", "expected")

    def __init__(self, expected: int) -> None:
        super().__init__()
        self.expected = expected
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def deliver(self, text: str) -> None:
        self.frames += 1
        if self.frames == self.expected and not self.done.done():
            self.done.set_result(None)


class CountingRoom:
    """The room's members; `done` once the last one got `expected` frames."""

    def __init__(self, members: int, expected: int) -> None:
        last = LastMember(expected)
        self.members = [*(CountingMember() for _ in range(members - 1)), last]
        self.done = last.done

    def delivered(self) -> int:
        return sum(member.frames for member in self.members)


async def measure(
    project: Path, members: int, messages: int, rounds: int, redis_url: str | None
) -> dict[str, dict[str, list[float]]]:
    """Per mode, per round: deliveries/s and us per chat, checked for complete delivery.

    Both brokers (history on and off) live in this one process and take turns, round by
    round in rotated order, each round in a fresh room: the pair shares the process's
    memory layout and the machine's moment, so their ratio is steady on a busy machine.
    """
    sys.path.insert(0, str(project))
    brokers = {mode: await start_broker(history, redis_url) for mode, history in MODES.items()}
    results: dict[str, dict[str, list[float]]] = {
        mode: {"deliveries_per_s": [], "us_per_message": []} for mode in MODES
    }
    for index in range(rounds):
        for mode in rotated(list(MODES), index):
            elapsed = await time_round(brokers[mode], f"bench-{index}", members, messages)
            results[mode]["deliveries_per_s"].append(members * messages / elapsed)
            results[mode]["us_per_message"].append(elapsed * 1e6 / messages)
    if redis_url is not None:
        for broker in brokers.values():
            await broker.stop()
    return results


async def start_broker(history: int, redis_url: str | None) -> Any:
    """The generated service's memory broker, or its Redis broker on `redis_url`, started."""
    if redis_url is None:
        memory = importlib.import_module(f"{GENERATED_PACKAGE}.engine.broker.memory")
        return memory.MemoryBroker(history_size=history)
    broker = redis_broker(
        redis_url, key_prefix=f"bench-{os.getpid()}-{history}:", history_size=history
    )
    await broker.start()
    return broker


def redis_broker(url: str, **options: Any) -> Any:
    """The generated package's Redis broker on `url`: its hub over a `RedisEngine`."""
    brokers = importlib.import_module(f"{GENERATED_PACKAGE}.engine.broker")
    clients = importlib.import_module(f"{GENERATED_PACKAGE}.engine.broker.redis_clients")
    return brokers.RedisBroker(brokers.RedisEngine(clients.redis_client(url), **options))


async def time_round(broker: Any, room_name: str, members: int, messages: int) -> float:
    """Seconds from the first publish to the last delivery, to a room of `members`."""
    room = CountingRoom(members, messages + 1)  # + the `joined` frame
    for member in room.members:
        await broker.join(room_name, member)
    chat = {**CHAT, "room": room_name}
    started = time.perf_counter()
    if broker.backend == "memory":
        publish = broker.publish
        for _ in range(messages):
            await publish(room_name, chat)
    else:
        share, extra = divmod(messages, REDIS_PUBLISHERS)
        counts = [share + (i < extra) for i in range(REDIS_PUBLISHERS)]
        await asyncio.gather(*(publish_many(broker, room_name, chat, n) for n in counts))
    await asyncio.wait_for(room.done, TIMEOUT)
    elapsed = time.perf_counter() - started
    for member in room.members:
        await broker.leave(room_name, member)
    delivered = room.delivered() - members  # minus the `joined` frames
    if delivered != members * messages:
        raise RuntimeError(f"delivered {delivered} frames, expected {members * messages}")
    return elapsed


async def publish_many(broker: Any, room: str, chat: dict[str, str], count: int) -> None:
    """One publisher: `count` chats, each sent once Redis took the one before."""
    for _ in range(count):
        await broker.publish(room, chat)


@contextmanager
def local_redis() -> Iterator[str | None]:
    """A throwaway ``redis-server`` on a loopback port (None when it is not installed)."""
    if shutil.which("redis-server") is None:
        yield None
        return
    with redis_server() as (url, _):
        yield url


@contextmanager
def redis_server(cpu: int | None = None) -> Iterator[tuple[str, int]]:
    """A throwaway ``redis-server`` on a loopback port (on `cpu` if given): URL and pid.

    Raises:
        RuntimeError: it is not installed, or did not listen within the start timeout.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    argv = [*Pinning.prefix(cpu), *argv]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + REDIS_START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def generate_redis_service(workdir: Path) -> Path:
    """The production service generated with ``broadcast=redis`` (once per run: both fan-out
    parts use it); return its folder."""
    return generate_once(workdir / "redis" / GENERATED_PACKAGE, ["broadcast=redis"])


def run_fanout(
    project: Path, rounds: int, members: int, messages: int, redis_url: str | None = None
) -> FanoutResults:
    """Run the measuring process for one broker (see `measure`)."""
    argv = [sys.executable, "-m", "bench.fanout", "--project", str(project)]
    argv += ["--members", str(members), "--messages", str(messages), "--rounds", str(rounds)]
    if redis_url is not None:
        argv += ["--redis", redis_url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=True)
    measured = json.loads(done.stdout)
    return FanoutResults(
        "memory" if redis_url is None else "redis",
        members,
        messages,
        {mode: measured[mode]["deliveries_per_s"] for mode in MODES},
        {mode: measured[mode]["us_per_message"] for mode in MODES},
    )


def run_all(workdir: Path, project: Path, rounds: int, members: int, messages: int) -> str:
    """Both brokers' fan-out (Redis only when ``redis-server`` is installed), as markdown."""
    sections = [fanout_section(run_fanout(project, rounds, members, messages))]
    with local_redis() as url:
        if url is None:
            sections.append("Redis fan-out: skipped, `redis-server` is not installed.")
        else:
            redis_project = generate_redis_service(workdir)
            sections.append(
                fanout_section(run_fanout(redis_project, rounds, members, messages, url))
            )
    return "\n\n".join(sections)


def fanout_section(results: FanoutResults) -> str:
    """The report's markdown for the fan-out part."""
    ratios = results.ratios()
    ratio = median(ratios)
    rows = [
        f"| {mode} | {Spread.of(results.deliveries_per_s[mode]).format(0)} | "
        f"{Spread.of(results.us_per_message[mode]).format(1)} |"
        for mode in MODES
    ]
    return "\n".join(
        [
            f"Room fan-out ({results.broker} broker, {results.members} members, "
            f"{results.messages:,} chats per round, {len(ratios)} alternating round(s)):",
            "",
            "| history | deliveries/s | us per published chat |",
            "| --- | ---: | ---: |",
            *rows,
            "",
            f"History on / off throughput ({results.broker}): {Spread.of(ratios).format()} "
            f"(goal >= {GOAL_RATIO:.2f}: {verdict(ratio, GOAL_RATIO, at_most=False)}).",
        ]
    )


def main() -> None:
    """The measuring process: print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.fanout")
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--redis", help="a Redis URL: measure the Redis broker on it")
    args = parser.parse_args()
    result = asyncio.run(
        measure(args.project, args.members, args.messages, args.rounds, args.redis)
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
