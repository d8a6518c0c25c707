"""Presence under connection churn: what a join and a leave cost with presence, and events.

``python -m bench presence [--churn N] [--watchers W] [--rounds R]`` generates the
production service (memory and, when ``redis-server`` is installed, Redis on a throwaway
local Redis) and, per broker, in one measuring process, lets `CHURNERS` concurrent
stand-in connections each join a room and leave it again, N times in all, while W members
watch the room's presence events. Three modes take turns, round by round: rooms only (the
broker's join and leave), presence without events, presence with events. Every round
checks that each watcher got exactly one ``presence_join`` and one ``presence_leave`` per
churner (each churner is its own user), so the figures are for correct work. Reported,
never asserted.

``python -m bench.presence --project DIR [--redis URL] ...`` is the measuring process.
"""

import argparse
import asyncio
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.fanout import CountingMember, generate_redis_service, local_redis, redis_broker
from bench.servers import GENERATED_PACKAGE, generate_service
from bench.stats import Spread
from bench.ws_bench import log, rotated

MODES = ("rooms only", "presence, events off", "presence + events")
CHURNERS = 8  # concurrent connections joining and leaving
TIMEOUT = 600.0  # one measuring process, every round of every mode
EVENT_WAIT = 30.0  # for the last events to reach the watchers (Redis: via pub/sub)


class Watcher(CountingMember):
    """A member that asked for presence events: counts joins and leaves."""

    __slots__ = ("joins", "leaves")

    def __init__(self) -> None:
        super().__init__()
        self.joins = 0
        self.leaves = 0

    def deliver(self, text: str) -> None:
        self.frames += 1
        if '"user":"user-' not in text:
            return  # the joined frame, and the other watchers' own joins
        if '"presence_join"' in text:
            self.joins += 1
        elif '"presence_leave"' in text:
            self.leaves += 1


async def start_mode(mode: str, redis_url: str | None) -> tuple[Any, Any]:
    """The generated service's broker and presence manager for `mode`, started."""
    broker_module = importlib.import_module(f"{GENERATED_PACKAGE}.engine.broker")
    events = mode == "presence + events"
    if redis_url is None:
        broker = broker_module.MemoryBroker()
        presence = broker_module.MemoryPresence(events=events)
    else:
        prefix = f"bench-presence-{os.getpid()}-{MODES.index(mode)}:"
        broker = redis_broker(redis_url, key_prefix=prefix)
        presence = broker_module.RedisPresence(broker, key_prefix=prefix, events=events)
    await broker.start()
    await presence.start()
    return broker, presence


async def time_round(
    broker: Any, presence: Any | None, room: str, churn: int, watchers: int, events: bool
) -> float:
    """Seconds for `churn` joins and leaves by `CHURNERS` concurrent connections."""
    watching = [Watcher() for _ in range(watchers)]
    for index, watcher in enumerate(watching):
        await broker.join(room, watcher)
        if presence is not None:
            await presence.add(room, watcher, f"watcher-{index}", watch=True)

    async def churner(worker: int, count: int) -> None:
        for turn in range(count):
            member = CountingMember()
            await broker.join(room, member)
            if presence is not None:
                await presence.add(room, member, f"user-{worker}-{turn}", watch=False)
                await presence.remove(room, member)
            await broker.leave(room, member)

    share, extra = divmod(churn, CHURNERS)
    started = time.perf_counter()
    await asyncio.gather(*(churner(i, share + (i < extra)) for i in range(CHURNERS)))
    expected = churn if events else 0
    deadline = time.monotonic() + EVENT_WAIT
    while any((w.joins, w.leaves) != (expected, expected) for w in watching):
        if time.monotonic() > deadline:
            seen = [(w.joins, w.leaves) for w in watching]
            raise RuntimeError(f"watchers saw (joins, leaves) {seen}, expected {expected} each")
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - started
    for watcher in watching:
        if presence is not None:
            await presence.remove(room, watcher)
        await broker.leave(room, watcher)
    return elapsed


async def measure(
    project: Path, churn: int, watchers: int, rounds: int, redis_url: str | None
) -> dict[str, list[float]]:
    """Per mode, per round: microseconds per join + leave (events delivered included)."""
    sys.path.insert(0, str(project))
    started = {mode: await start_mode(mode, redis_url) for mode in MODES}
    results: dict[str, list[float]] = {mode: [] for mode in MODES}
    for index in range(rounds):
        for mode in rotated(list(MODES), index):
            broker, presence = started[mode]
            with_presence = None if mode == "rooms only" else presence
            events = mode == "presence + events"
            room = f"churn-{index}"
            elapsed = await time_round(broker, with_presence, room, churn, watchers, events)
            results[mode].append(elapsed * 1e6 / churn)
    for broker, presence in started.values():
        await presence.stop()
        await broker.stop()
    return results


def run_measure(
    project: Path, churn: int, watchers: int, rounds: int, redis_url: str | None
) -> dict[str, list[float]]:
    """Run the measuring process for one broker."""
    argv = [sys.executable, "-m", "bench.presence", "--project", str(project)]
    argv += ["--churn", str(churn), "--watchers", str(watchers), "--rounds", str(rounds)]
    if redis_url is not None:
        argv += ["--redis", redis_url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the presence benchmark failed:\n{done.stderr}")
    measured: dict[str, list[float]] = json.loads(done.stdout)
    return measured


def section(broker: str, results: dict[str, list[float]], churn: int, watchers: int) -> str:
    """The report's markdown for one broker."""
    base = results["rooms only"]
    rows = []
    for mode in MODES:
        us = Spread.of(results[mode])
        added = Spread.of([now - then for now, then in zip(results[mode], base, strict=True)])
        pairs = Spread.of([1e6 / value for value in results[mode]])
        rows.append(f"| {mode} | {us.format(1)} | {added.format(1)} | {pairs.format(0)} |")
    return "\n".join(
        [
            f"Presence under churn ({broker} broker, {churn:,} join + leave per round by "
            f"{CHURNERS} concurrent connections, {watchers} watchers, "
            f"{len(base)} alternating round(s)):",
            "",
            "| mode | us per join + leave | added to rooms only | join + leave per s |",
            "| --- | ---: | ---: | ---: |",
            *rows,
        ]
    )


def run_presence(argv: list[str]) -> int:
    """``python -m bench presence``: generate, measure both brokers, print markdown."""
    parser = argparse.ArgumentParser(prog="python -m bench presence", description=__doc__)
    parser.add_argument("--churn", type=int, default=2000, help="joins+leaves per round (2000)")
    parser.add_argument("--watchers", type=int, default=10, help="members watching (10)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (3)")
    args = parser.parse_args(argv)
    sections = []
    with tempfile.TemporaryDirectory(prefix="fastgen-bench-presence-") as tmp:
        workdir = Path(tmp)
        log("generating the production service from this checkout's template")
        project = generate_service(workdir)
        log("timing presence under churn (memory broker)")
        memory = run_measure(project, args.churn, args.watchers, args.rounds, None)
        sections.append(section("memory", memory, args.churn, args.watchers))
        with local_redis() as url:
            if url is None:
                sections.append("Presence under churn (Redis): skipped, no `redis-server`.")
            else:
                log("timing presence under churn (Redis broker)")
                project = generate_redis_service(workdir)
                redis = run_measure(project, args.churn, args.watchers, args.rounds, url)
                sections.append(section("redis", redis, args.churn, args.watchers))
    print("\n\n".join(sections))
    return 0


def main() -> None:
    """The measuring process: print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m bench.presence")
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--churn", type=int, required=True)
    parser.add_argument("--watchers", type=int, required=True)
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--redis", help="a Redis URL: measure the Redis broker on it")
    args = parser.parse_args()
    measured = asyncio.run(
        asyncio.wait_for(
            measure(args.project, args.churn, args.watchers, args.rounds, args.redis), TIMEOUT
        )
    )
    print(json.dumps(measured))


if __name__ == "__main__":
    main()
