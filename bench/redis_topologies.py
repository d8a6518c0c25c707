"""Beyond one Redis: what WAIT costs a publish, and fan-out through a 3-shard Cluster.

``python -m bench redis-topologies [--messages N] [--rooms R] [--members M] [--rounds K]``
generates the production service with ``broadcast=redis`` and, in this one process, uses
its engines on throwaway ``redis-server`` processes started on loopback ports:

- ``WAIT 1``: a master with one replica; engines with ``wait_replicas`` 0 and 1 take turns,
  round by round, each publishing N messages one after the other; the median microseconds
  per acknowledged publish of each, and their ratio.
- Fan-out: one Redis, and a Cluster of 3 masters (no replicas: they would only add
  replication traffic to the same 2 cores). The same load takes turns on both: R rooms of M
  counting members, N messages published over the rooms; delivered frames per second, each
  shard's share of the rooms and of the messages, and cluster ÷ single (goal ≥ 0.90).

Every round checks that every member got every message. Reported, never asserted.
"""

import argparse
import asyncio
import importlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from statistics import median
from typing import Any

from redis import Redis
from redis.crc import key_slot

from bench.fanout import CountingMember, generate_redis_service
from bench.servers import GENERATED_PACKAGE
from bench.ws_bench import log, rotated

START_TIMEOUT = 20.0
ROUND_TIMEOUT = 300.0
CHAT = {"type": "chat", "from": "bench-user", "text": "x" * 60}
PUBLISHERS = 8  # concurrent publishing tasks in a fan-out round
FAN_OUT_GOAL = 0.90


def _free_port() -> int:
    """A loopback port free now, with its cluster bus port (+10000) free too."""
    for _ in range(200):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = int(sock.getsockname()[1])
        if port > 55535:
            continue
        try:
            with socket.socket() as bus:
                bus.bind(("127.0.0.1", port + 10000))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port pair")


@contextmanager
def _servers(directory: Path, options: list[list[str]]) -> Iterator[list[int]]:
    """One ``redis-server`` per entry of `options` (extra arguments); their ports."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed")
    with ExitStack() as stack:
        ports = []
        for extra in options:
            port = _free_port()
            argv = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
            argv += ["--appendonly", "no", "--dir", str(directory), *extra]
            argv = [arg.replace("{port}", str(port)) for arg in argv]
            process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            stack.callback(_stop, process)
            _wait(lambda port=port: _answers(port), f"redis-server on {port}")
            ports.append(port)
        yield ports


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with Redis(port=port, socket_timeout=1) as node:
            return bool(node.ping())
    except OSError:
        return False
    except Exception:  # redis-py's own errors while it starts
        return False


def _wait(condition: Any, what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _module(name: str = "") -> Any:
    """The generated package's ``engine.broker`` (or its module `name`)."""
    suffix = f".{name}" if name else ""
    return importlib.import_module(f"{GENERATED_PACKAGE}.engine.broker{suffix}")


async def time_publishes(engine: Any, room: str, messages: int) -> float:
    """Median microseconds per publish, one after the other."""
    times = []
    for _ in range(messages):
        started = time.perf_counter()
        await engine.publish(room, CHAT)
        times.append(time.perf_counter() - started)
    return median(times) * 1e6


async def wait_cost(directory: Path, messages: int, rounds: int) -> str:
    """The WAIT 1 part: a master, a replica, and engines with and without WAIT."""
    clients, engines_module = _module("redis_clients"), _module("redis_engine")
    with _servers(directory, [[]]) as (master,):
        replica_options = [
            "--replicaof",
            "127.0.0.1",
            str(master),
            "--repl-diskless-sync-delay",
            "0",
        ]
        with _servers(directory, [replica_options]) as (replica,):
            _wait(lambda: _in_sync(replica), "the replica's sync")
            url = f"redis://127.0.0.1:{master}/0"
            engines = {
                waits: engines_module.RedisEngine(
                    clients.redis_client(url), key_prefix=f"wait-{waits}:", wait_replicas=waits
                )
                for waits in (0, 1)
            }
            for engine in engines.values():
                await engine.start()
            results: dict[int, list[float]] = {0: [], 1: []}
            for index in range(rounds):
                for waits in (0, 1) if index % 2 == 0 else (1, 0):
                    room = f"wait-{index}"
                    results[waits].append(await time_publishes(engines[waits], room, messages))
            for engine in engines.values():
                await engine.stop()
    plain, waited = median(results[0]), median(results[1])
    return (
        f"Publish, median per acknowledged message ({rounds} rounds of {messages}, loopback):"
        f" {plain:.0f} us without WAIT, {waited:.0f} us with WAIT 1"
        f" ({waited / plain:.2f}x, +{waited - plain:.0f} us)"
    )


def _in_sync(port: int) -> bool:
    with Redis(port=port, decode_responses=True) as node:
        return bool(node.info("replication").get("master_link_status") == "up")


class Room:
    """Counting members of one room, done when each has `expected` frames."""

    def __init__(self, members: int, expected: int) -> None:
        self.members = [CountingMember() for _ in range(members)]
        self.expected = expected

    def delivered(self) -> int:
        return sum(member.frames for member in self.members)

    def complete(self) -> bool:
        return all(member.frames >= self.expected for member in self.members)


async def fan_out_round(broker: Any, rooms: list[str], members: int, messages: int) -> float:
    """Delivered frames per second for `messages` spread over `rooms` of `members`."""
    per_room = messages // len(rooms)
    counted = {room: Room(members, per_room + 1) for room in rooms}  # + `joined`
    for room, room_members in counted.items():
        for member in room_members.members:
            await broker.join(room, member)
    plan = [rooms[n % len(rooms)] for n in range(per_room * len(rooms))]

    async def publish(share: list[str]) -> None:
        for room in share:
            await broker.publish(room, {**CHAT, "room": room})

    started = time.perf_counter()
    await asyncio.gather(*(publish(plan[i::PUBLISHERS]) for i in range(PUBLISHERS)))
    deadline = time.monotonic() + ROUND_TIMEOUT
    while not all(room.complete() for room in counted.values()):
        if time.monotonic() > deadline:
            raise RuntimeError("a round's messages did not all arrive")
        await asyncio.sleep(0.002)
    elapsed = time.perf_counter() - started
    for room, room_members in counted.items():
        for member in room_members.members:
            await broker.leave(room, member)
    delivered = sum(room.delivered() for room in counted.values()) - members * len(rooms)
    if delivered != members * per_room * len(rooms):
        raise RuntimeError(f"delivered {delivered} frames, expected more")
    return delivered / elapsed


def _create_cluster(ports: list[int]) -> None:
    cli = shutil.which("redis-cli")
    if cli is None:
        raise RuntimeError("redis-cli is not installed")
    nodes = [f"127.0.0.1:{port}" for port in ports]
    command = [cli, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"]
    subprocess.run(command, check=True, capture_output=True, timeout=60)

    def ok() -> bool:
        for port in ports:
            with Redis(port=port, decode_responses=True) as node:
                if "cluster_state:ok" not in str(node.execute_command("CLUSTER", "INFO")):
                    return False
        return True

    _wait(ok, "cluster_state:ok")


def _shares(ports: list[int], rooms: list[str]) -> str:
    """Each shard's share of `rooms` (and so of their messages: each room gets as many)."""
    with Redis(port=ports[0]) as node:
        ranges = node.execute_command("CLUSTER", "SLOTS")
    owner = {}
    for room in rooms:
        slot = key_slot(f"{{{room}}}".encode())
        (port,) = [int(r[2][1]) for r in ranges if int(r[0]) <= slot <= int(r[1])]
        owner[room] = port
    counts = Counter(owner.values())
    return ", ".join(f"{100 * counts[port] / len(rooms):.0f}%" for port in sorted(counts))


async def fan_out(directory: Path, rooms: int, members: int, messages: int, rounds: int) -> str:
    """The fan-out part: the same load through one Redis and through a 3-shard Cluster."""
    brokers_module, clients = _module(), _module("redis_clients")
    cluster_options = ["--cluster-enabled", "yes", "--cluster-config-file", "nodes-{port}.conf"]
    with (
        _servers(directory, [[]]) as (single,),
        _servers(directory, [cluster_options] * 3) as shard_ports,
    ):
        _create_cluster(shard_ports)
        nodes = [f"127.0.0.1:{port}" for port in shard_ports]
        brokers = {
            "one Redis": brokers_module.RedisBroker(
                brokers_module.RedisEngine(
                    clients.redis_client(f"redis://127.0.0.1:{single}/0"), key_prefix="fan:"
                )
            ),
            "3-shard Cluster": brokers_module.RedisBroker(
                brokers_module.RedisClusterEngine(
                    clients.cluster_client(nodes, "redis://", 5.0), key_prefix="fan:"
                )
            ),
        }
        for broker in brokers.values():
            await broker.start()
        results: dict[str, list[float]] = {name: [] for name in brokers}
        for index in range(rounds):
            names = [f"room-{index}-{n}" for n in range(rooms)]
            for name in rotated(list(brokers), index):
                results[name].append(await fan_out_round(brokers[name], names, members, messages))
        shares = _shares(shard_ports, [f"room-0-{n}" for n in range(rooms)])
        for broker in brokers.values():
            await broker.stop()
    single_rate, cluster_rate = median(results["one Redis"]), median(results["3-shard Cluster"])
    ratio = cluster_rate / single_rate
    verdict = "PASS" if ratio >= FAN_OUT_GOAL else "MISS"
    return (
        f"Fan-out ({rooms} rooms x {members} members, {messages} messages a round,"
        f" median of {rounds} rounds): one Redis {single_rate:,.0f} frames/s,"
        f" 3-shard Cluster {cluster_rate:,.0f} frames/s; cluster / single {ratio:.2f}"
        f" (goal >= {FAN_OUT_GOAL:.2f}: {verdict}); each shard's share of the rooms and"
        f" their messages: {shares}"
    )


def main(argv: list[str]) -> int:
    """Run both parts and print their report lines."""
    parser = argparse.ArgumentParser(prog="python -m bench redis-topologies")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rooms", type=int, default=30)
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fastgen-bench-redis-") as tmp:
        workdir = Path(tmp)
        log("generating the production service with broadcast=redis")
        project = generate_redis_service(workdir)
        sys.path.insert(0, str(project))
        os.chdir(workdir)
        log("timing WAIT 1 per publish")
        print(asyncio.run(wait_cost(workdir, args.messages, args.rounds)))
        log("timing fan-out through one Redis and a 3-shard Cluster")
        print(asyncio.run(fan_out(workdir, args.rooms, args.members, args.messages, args.rounds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
