"""The thundering herd: N clients of the generated Python client reconnect after a restart.

``python -m bench herd [--clients N] [--rounds R]`` connects N clients (each in one room) to
the production service, restarts the service on the same port (SIGTERM: 1012 to every
client, then a new process), and records, per client, when it was connected again and when
its room was joined again (resumed). Reported with full jitter (the client's default) and
without it, alternating round by round: the peak connects per second the new process
sees, and the p50/p99 time from the SIGTERM to resumed. Reported, never asserted.
"""

import asyncio
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.client_import import client_module
from bench.servers import BENCH_TOKEN, Pinning, ServerSpec, free_port, generated_spec, running
from bench.stats import Spread, markdown_table, percentile
from bench.ws_bench import log

# Connects per second are counted in windows this long, scaled to a second.
WINDOW = 0.1
CONNECT_BATCH = 100
ROOM = "herd"
TIMEOUT = 300.0  # one round, every client back


@dataclass
class HerdRound:
    """One restart: when each client connected again and resumed, after the SIGTERM."""

    jitter: bool
    connected: list[float]
    resumed: list[float]
    back_after: float  # the new process listening

    def peak_rate(self) -> float:
        """The most connects in any WINDOW-long window, per second."""
        return peak_rate(self.connected)


def peak_rate(times: Sequence[float], window: float = WINDOW) -> float:
    """The most events in any `window`-long window of `times`, per second."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] > window:
            start += 1
        best = max(best, end - start + 1)
    return best / window


async def herd_round(
    spec: ServerSpec, pinning: Pinning, logdir: Path, module: ModuleType, n: int, jitter: bool
) -> HerdRound:
    """Connect `n` clients, restart the service under them, time their return."""
    port = free_port()
    url = f"ws://127.0.0.1:{port}/ws/chat"
    with ExitStack() as first:
        first.enter_context(running(spec, pinning, logdir, port))
        options: dict[str, Any] = {"token": BENCH_TOKEN, "timeout": 60.0, "connect_timeout": 60.0}
        backoff = module.Backoff(jitter=jitter)
        clients = [module.Client(url, backoff=backoff, **options) for _ in range(n)]
        for start in range(0, n, CONNECT_BATCH):
            await asyncio.gather(*(c.connect() for c in clients[start : start + CONNECT_BATCH]))
        rooms = [await client.join(ROOM) for client in clients]
        connected: list[float] = []
        for client in clients:
            client.on_state(
                lambda state: (
                    connected.append(time.monotonic()) if state is module.State.CONNECTED else None
                )
            )
        killed = time.monotonic()
        await asyncio.to_thread(first.close)
    with ExitStack() as second:
        await asyncio.to_thread(second.enter_context, running(spec, pinning, logdir, port))
        back_after = time.monotonic() - killed
        resumed = await asyncio.wait_for(
            asyncio.gather(*(resumed_at(c, r) for c, r in zip(clients, rooms, strict=True))),
            TIMEOUT,
        )
        for client in clients:
            await client.close()
    return HerdRound(
        jitter, [t - killed for t in connected], [t - killed for t in resumed], back_after
    )


async def resumed_at(client: Any, room: Any) -> float:
    """When `client` had a new session and its room joined on it (10 ms resolution)."""
    while client.reconnects < 1 or not room.joined.is_set():
        await asyncio.sleep(0.01)
    return time.monotonic()


def herd_table(rounds: list[HerdRound], n: int) -> str:
    """The report: one row with jitter, one without."""
    rows = []
    for jitter in (True, False):
        mine = [r for r in rounds if r.jitter is jitter]
        if not mine:
            continue
        rows.append(
            [
                "full jitter (default)" if jitter else "no jitter",
                Spread.of([r.peak_rate() for r in mine]).format(0, grouping=True),
                Spread.of([percentile(r.resumed, 50) for r in mine]).format(2),
                Spread.of([percentile(r.resumed, 99) for r in mine]).format(2),
                Spread.of([r.back_after for r in mine]).format(2),
            ]
        )
    headers = [
        "backoff",
        "peak connects/s",
        "p50 to resumed (s)",
        "p99 to resumed (s)",
        "new process up after (s)",
    ]
    intro = (
        f"Thundering herd: {n} clients of the generated Python client, one room, the service "
        "restarted under them (SIGTERM, then a new process on the same port); times from the "
        f"SIGTERM; peak connects per second over {WINDOW:g} s windows. Median (range) over "
        "the rounds."
    )
    return f"{intro}\n\n{markdown_table(headers, rows)}"


def run_herd(
    project: Path, workdir: Path, pinning: Pinning, n: int, rounds: int, log_level: str
) -> str:
    """Every round, with and without jitter, alternating; returns the markdown report."""
    module = client_module(project)
    spec = generated_spec("generated", project, log_level, {"MAX_CONNECTIONS": str(4 * n)})
    results: list[HerdRound] = []
    for index in range(rounds):
        for jitter in (True, False) if index % 2 == 0 else (False, True):
            log(f"herd round {index + 1}/{rounds}, jitter {'on' if jitter else 'off'}")
            results.append(asyncio.run(herd_round(spec, pinning, workdir, module, n, jitter)))
    return herd_table(results, n)
