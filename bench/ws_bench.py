"""Part 1: WebSocket throughput, latency, idle memory and handshake rate, A/B/C rounds."""

import sys
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bench.servers import (
    SERVER_KEYS,
    Pinning,
    RunningServer,
    ServerSpec,
    idle_growth_kib,
    run_client,
    running,
)

T = TypeVar("T")

CLIENT_TIMEOUT = 180.0


@dataclass(frozen=True)
class EchoRun:
    """One closed-loop run against one server."""

    msgs_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    server_cpu_us_per_msg: float
    client_cpu_share: float


@dataclass
class WsResults:
    """Everything part 1 measured, per server key."""

    echo: dict[str, list[EchoRun]] = field(default_factory=dict)
    handshakes_per_s: dict[str, list[float]] = field(default_factory=dict)
    idle_kib: dict[str, tuple[int, int]] = field(default_factory=dict)
    idle_sessions: int = 0
    sweep: dict[str, dict[int, list[EchoRun]]] = field(default_factory=dict)
    # In-process app-layer microseconds per echo, one value per round (see bench.app_cost).
    app_us: dict[str, list[float]] = field(default_factory=dict)

    def idle_kib_per_session(self, key: str) -> float:
        """RSS growth per idle session of server `key` (0 where it was not measured)."""
        before, after = self.idle_kib.get(key, (0, 0))
        return (after - before) / self.idle_sessions if self.idle_sessions else 0.0


def rotated(keys: Sequence[str], round_index: int) -> list[str]:
    """Round r runs the servers in an order rotated by r: A B C, B C A, C A B, ..."""
    shift = round_index % len(keys)
    return [*keys[shift:], *keys[:shift]]


def log(message: str) -> None:
    """Progress on stderr, so stdout stays the report."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def echo_run(server: RunningServer, pinning: Pinning, conns: int, msgs: int) -> EchoRun:
    """Drive `server` with `conns` connections, `msgs` messages each.

    The server's CPU time per message is measured too (it includes the run's handshakes
    and closes, which are few next to the messages): on a shared machine it is steadier
    than throughput, which also depends on what else got the core.
    """
    cpu_before = server.cpu_seconds()
    result = run_client("echo", server.port, pinning, CLIENT_TIMEOUT, conns=conns, msgs=msgs)
    cpu_us = (server.cpu_seconds() - cpu_before) * 1e6 / result["messages"]
    return EchoRun(
        result["msgs_per_s"],
        result["p50_ms"],
        result["p99_ms"],
        result["errors"],
        cpu_us,
        result["client_cpu_share"],
    )


def run_ws(
    specs: Mapping[str, ServerSpec],
    pinning: Pinning,
    logdir: Path,
    *,
    conns: int,
    msgs: int,
    rounds: int,
    handshakes: int,
    idle_sessions: int,
    sweep_points: Sequence[int] = (),
    sweep_messages: int = 0,
    sweep_rounds: int = 0,
) -> WsResults:
    """Measure every server in alternating rounds; see the module docstring."""
    results = WsResults(idle_sessions=idle_sessions)
    keys = [key for key in SERVER_KEYS if key in specs]
    with ExitStack() as stack:
        servers = {key: stack.enter_context(running(specs[key], pinning, logdir)) for key in keys}
        for key in keys:  # warm-up: imports, caches, the JIT-less interpreter's specialisation
            echo_run(servers[key], pinning, conns=min(conns, 10), msgs=50)

        results.echo = _rounds(
            keys, rounds, lambda key: echo_run(servers[key], pinning, conns, msgs)
        )
        for key, runs in results.echo.items():
            log(
                f"echo {key}: "
                + ", ".join(
                    f"{run.msgs_per_s:,.0f}/s ({run.server_cpu_us_per_msg:.0f} us CPU/msg, "
                    f"client {run.client_cpu_share:.0%})"
                    for run in runs
                )
            )

        # As many alternating rounds as the echo: a guard's ratio needs at least 5 to have a
        # median worth quoting.
        results.handshakes_per_s = _rounds(
            keys,
            max(1, rounds),
            lambda key: run_client(
                "connect", servers[key].port, pinning, CLIENT_TIMEOUT, conns=handshakes
            )["per_s"],
        )
        log(f"handshakes/s: {results.handshakes_per_s}")

        for points in sweep_points:
            per_conn = max(sweep_messages // points, 20)

            def measure(key: str, n: int = points, m: int = per_conn) -> EchoRun:
                return echo_run(servers[key], pinning, n, m)

            by_key = _rounds(keys, sweep_rounds, measure)
            for key, runs in by_key.items():
                results.sweep.setdefault(key, {})[points] = runs
            log(f"sweep {points} connections done")

    for key in keys:  # a fresh process each, so freed memory of earlier runs cannot hide growth
        with running(specs[key], pinning, logdir) as server:
            results.idle_kib[key] = idle_growth_kib(server, idle_sessions, pinning, CLIENT_TIMEOUT)
        log(f"idle {key}: {results.idle_kib[key]} KiB before/after {idle_sessions} sessions")
    return results


def _rounds(keys: Sequence[str], rounds: int, measure: Callable[[str], T]) -> dict[str, list[T]]:
    collected: dict[str, list[T]] = {key: [] for key in keys}
    for index in range(rounds):
        for key in rotated(keys, index):
            collected[key].append(measure(key))
    return collected
