"""The generated Python client's receive overhead against a bare ``websockets`` loop.

``python -m bench client-receive [--messages M] [--rounds R]`` fills one room of the
production service with M chats, then, round by round and in alternating order, lets two
receivers join it from offset 0 and take all M (the service replays them from history as
fast as it can send): a bare ``websockets`` loop that decodes each frame, and the generated
client (`Client.join(room, since=(0, epoch))`, iterating the room). Reported: each one's
msg/s and the client's ratio to the bare loop, per round (goal: at least 0.9), by wall time
and by the receiving process's CPU time (which a busy machine disturbs far less). Reported,
never asserted.
"""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from types import ModuleType

from websockets.asyncio.client import connect

from bench.client_import import client_module
from bench.servers import BENCH_TOKEN, Pinning, generated_spec, running
from bench.stats import Spread, paired_ratios, verdict
from bench.ws_bench import log

ROOM = "receive"
GOAL = 0.9
TIMEOUT = 300.0


@dataclass
class Rate:
    """Messages per second of one receive, by wall time and by this process's CPU time."""

    wall: float
    cpu: float


def measure(receive: Callable[[], Awaitable[int]]) -> Rate:
    """Run one receive (it returns its message count) in a fresh event loop, timed both ways."""
    wall, cpu = time.perf_counter(), time.process_time()
    messages = asyncio.run(asyncio.wait_for(receive(), TIMEOUT))
    return Rate(messages / (time.perf_counter() - wall), messages / (time.process_time() - cpu))


def url_of(port: int) -> str:
    """The chat endpoint, with the bench token."""
    return f"ws://127.0.0.1:{port}/ws/chat?token={BENCH_TOKEN}"


async def fill(port: int, messages: int) -> str:
    """Publish `messages` chats into ROOM; returns the room's epoch."""
    async with connect(url_of(port), compression=None, max_size=None) as ws:
        await ws.send(json.dumps({"type": "join", "room": ROOM}))
        for index in range(messages):
            await ws.send(json.dumps({"type": "chat", "room": ROOM, "text": f"message {index}"}))
        while True:
            frame = json.loads(await ws.recv())
            if frame.get("type") == "chat" and frame["offset"] == messages:
                return str(frame["epoch"])


async def bare_receive(port: int, epoch: str, messages: int) -> int:
    """A bare loop replaying the room: join with since, decode every frame."""
    async with connect(url_of(port), compression=None, max_size=None) as ws:
        since = {"offset": 0, "epoch": epoch}
        await ws.send(json.dumps({"type": "join", "room": ROOM, "since": since}))
        count = 0
        while count < messages:
            if json.loads(await ws.recv()).get("type") == "chat":
                count += 1
        return count


async def client_receive(module: ModuleType, port: int, epoch: str, messages: int) -> int:
    """The generated client replaying the room (join with since, iterate)."""
    url = f"ws://127.0.0.1:{port}/ws/chat"
    async with module.Client(url, token=BENCH_TOKEN) as client:
        room = await client.join(ROOM, since=(0, epoch))
        count = 0
        async for _ in room:
            count += 1
            if count == messages:
                break
        return count


def run_client_receive(
    project: Path, workdir: Path, pinning: Pinning, messages: int, rounds: int, log_level: str
) -> str:
    """Fill the room, then alternate the two receivers; returns the markdown report."""
    module = client_module(project)
    env = {"HISTORY_SIZE": str(messages), "SEND_QUEUE_SIZE": str(messages + 1024)}
    spec = generated_spec("generated", project, log_level, env)
    bare: list[Rate] = []
    mine: list[Rate] = []
    with running(spec, pinning, workdir) as server:
        epoch = asyncio.run(asyncio.wait_for(fill(server.port, messages), TIMEOUT))
        for index in range(rounds):
            log(f"client receive round {index + 1}/{rounds}")
            order = ("bare", "client") if index % 2 == 0 else ("client", "bare")
            for which in order:
                if which == "bare":
                    bare.append(measure(partial(bare_receive, server.port, epoch, messages)))
                else:
                    receive = partial(client_receive, module, server.port, epoch, messages)
                    mine.append(measure(receive))
    lines = []
    for basis in ("wall", "cpu"):
        ours = [getattr(rate, basis) for rate in mine]
        theirs = [getattr(rate, basis) for rate in bare]
        ratio = Spread.of(paired_ratios(ours, theirs))
        lines.append(
            f"- by {'wall' if basis == 'wall' else 'CPU'} time: bare "
            f"{Spread.of(theirs).format(0, grouping=True)} msg/s, client "
            f"{Spread.of(ours).format(0, grouping=True)} msg/s, ratio {ratio.format(2)} "
            f"(goal ≥ {GOAL}: {verdict(ratio.median, GOAL, at_most=False)})"
        )
    intro = (
        f"Client receive overhead: {messages} chats replayed from one room's history to a "
        f"bare `websockets` loop (decoding each frame) and to the generated Python client, "
        f"{rounds} alternating rounds, median (range):"
    )
    return "\n".join([intro, "", *lines])
