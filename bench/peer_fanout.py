"""Room fan-out against the peers: ``python -m bench fanout``.

One publisher and a room of S subscribers (`bench.fanout_client`, its own process on the
client's core) drive, in alternating rounds, the generated service and its peers
(`bench.peers`), all on the servers' core, with the same uvicorn flags (the raw
``websockets`` ceiling excepted; the generated service with its own subclasses of the same
protocols, as its entry point runs it) and the same client:

- memory mode, one process each: the generated service (in-process broker),
  python-socketio, Django Channels (in-memory layer), FastAPI + broadcaster (``memory://``);
- Redis mode, two processes each on one throwaway ``redis-server`` (subscribers split
  between them, the publisher on the first): the generated service (Redis broker),
  python-socketio (``AsyncRedisManager``), Channels (``RedisPubSubChannelLayer``),
  broadcaster (``redis://``); a peer that needs a fix to work at all also runs unpatched;
- both modes: the raw ``websockets.broadcast()`` server (one process, no broker), the
  ceiling.

For each in-flight window: delivered messages per second, server CPU per delivered message
(the server processes and, in the Redis mode, ``redis-server``), lost and out-of-order
deliveries. At a fixed publish rate every server carries: p50/p99 delivery latency. Ratios
are medians of per-round ratios (generated ÷ the best peer of that round, generated ÷ the
ceiling); goals are printed as PASS/MISS, never asserted.
"""

import importlib.util
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from bench.fanout import generate_redis_service, redis_server
from bench.servers import (
    GENERATED_PACKAGE,
    REPO_ROOT,
    Pinning,
    RunningServer,
    ServerSpec,
    generate_once,
    generated_spec,
    option_args,
    run_json,
    running,
    uvicorn_flags,
)
from bench.stats import Spread, markdown_table, median, verdict
from bench.svg import write_bar_chart
from bench.ws_bench import log, rotated

MODES = ("memory", "redis")
# How the goals table names the raw websockets.broadcast server.
CEILING_LABEL = "raw websockets ceiling"
GOAL_THROUGHPUT = 1.5  # generated ÷ the best peer, every mode and window
GOAL_P99 = 1.0  # generated's p99 ÷ the best peer's, at the fixed rate
CLIENT_TIMEOUT = 120.0
# Import name of each peer's package: a peer that is not installed is skipped, said aloud.
PEER_PACKAGES = {
    "socketio": "socketio",
    "channels": "channels_redis",
    "broadcaster": "broadcaster",
}
LABELS = {
    "generated": "generated service",
    "socketio": "python-socketio",
    "channels": "Django Channels",
    "broadcaster": "FastAPI + broadcaster",
    "raw": "raw websockets.broadcast (ceiling)",
    "baseline": "generated service, baseline",
}
# Peers that need a fix in the Redis mode (bench/peers/fixes.py): also run as released.
NEEDS_FIX = ("socketio", "broadcaster")
UNPATCHED = " (unpatched)"
# The names `--servers` takes: each contender's server name (`ServerSpec.key`).
SERVER_NAMES = (
    "generated",
    "baseline",
    *PEER_PACKAGES,
    *(f"{key}-unpatched" for key in NEEDS_FIX),
    "raw",
)


@dataclass(frozen=True)
class Contender:
    """One server setup of one mode: what to start, how many processes, how to speak to it."""

    key: str  # "broadcaster", or "broadcaster (unpatched)"
    spec: ServerSpec
    dialect: str
    processes: int = 1

    @property
    def peer(self) -> bool:
        """True for the peers that compete for "best peer" (patched where needed)."""
        return self.key in PEER_PACKAGES

    @property
    def label(self) -> str:
        """The report's name for it."""
        base, _, rest = self.key.partition(" ")
        return LABELS[base] + (f" {rest}" if rest else "")


@dataclass(frozen=True)
class Run:
    """One client run against one contender."""

    delivered_per_s: float
    cpu_us_per_msg: float
    lost: int
    out_of_order: int
    p50_ms: float
    p99_ms: float
    client_cpu_share: float


@dataclass
class ModeResults:
    """Everything one mode measured: per window, per contender, one `Run` per round."""

    mode: str
    keys: list[str]
    labels: dict[str, str]
    windows: dict[int, dict[str, list[Run]]] = field(default_factory=dict)
    latency: dict[str, list[Run]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sizes:
    """How big and how long each run is."""

    subscribers: int
    windows: tuple[int, ...]
    messages: int
    max_seconds: float
    rate: float
    rate_seconds: float
    rounds: int


# The fixed rate: 10 msg/s to 200 subscribers is 2,000 deliveries/s, about half of what the
# slowest peer (Channels, in-memory layer) carried at any window on the 2-core machine.
FULL = Sizes(200, (8, 32, 128), 4000, 3.0, 10.0, 3.0, 3)
QUICK = Sizes(20, (32,), 200, 0.5, 20.0, 0.5, 1)


def missing_peers() -> list[str]:
    """Peers whose package is not installed (``pip install -e '.[bench]'`` adds them)."""
    return [
        key for key, module in PEER_PACKAGES.items() if importlib.util.find_spec(module) is None
    ]


def contenders(
    mode: str,
    project: Path,
    redis_url: str | None,
    log_level: str,
    skip: Sequence[str],
    baseline: Path | None = None,
) -> list[Contender]:
    """The contenders of `mode` (peers in `skip` left out).

    With `baseline` (a project generated from another template version), that project runs
    too, as "baseline", right after the generated service: a before/after measured side by
    side, in the same alternating rounds.
    """
    python = sys.executable
    flags = uvicorn_flags(log_level)
    peer_env = {"BENCH_REDIS_URL": redis_url or ""}
    two = 2 if mode == "redis" else 1
    redis_env = {"REDIS_URL": redis_url} if redis_url else {}
    generated = generated_spec("generated", project, log_level, redis_env)
    found = [Contender("generated", generated, "generated", two)]
    if baseline is not None:
        spec = generated_spec("baseline", baseline, log_level, redis_env)
        found.append(Contender("baseline", spec, "generated", two))
    peers = {
        "socketio": ("bench.peers.socketio_app:app", "socketio"),
        "channels": ("bench.peers.channels_app:application", "plain"),
        "broadcaster": ("bench.peers.broadcaster_app:app", "plain"),
    }
    for key, (target, dialect) in peers.items():
        if key in skip:
            continue
        argv = [python, "-m", "uvicorn", target, *flags]
        if key == "channels":
            # Channels' ProtocolTypeRouter has no lifespan handler and fails startup under
            # `--lifespan on`; `auto` is uvicorn's default and only tolerates that.
            argv[argv.index("--lifespan") + 1] = "auto"
        found.append(Contender(key, ServerSpec(key, argv, REPO_ROOT, peer_env), dialect, two))
        if mode == "redis" and key in NEEDS_FIX:
            env = {**peer_env, "BENCH_UNPATCHED": "1"}
            name = f"{key}-unpatched"
            found.append(
                Contender(key + UNPATCHED, ServerSpec(name, argv, REPO_ROOT, env), dialect, two)
            )
    raw = ServerSpec("raw", [python, "-m", "bench.peers.raw_broadcast"], REPO_ROOT)
    found.append(Contender("raw", raw, "plain"))
    return found


def measure_mode(
    mode: str,
    cast: Sequence[Contender],
    sizes: Sizes,
    pinning: Pinning,
    logdir: Path,
    redis_pid: int | None,
    skipped: Sequence[str],
) -> ModeResults:
    """Start every contender of `mode`, then run the alternating rounds."""
    keys = [c.key for c in cast]
    results = ModeResults(mode, keys, {c.key: c.label for c in cast}, skipped=list(skipped))
    with ExitStack() as stack:
        servers = {
            c.key: [
                stack.enter_context(running(c.spec, pinning, logdir)) for _ in range(c.processes)
            ]
            for c in cast
        }
        by_key = {c.key: c for c in cast}

        def one(key: str, window: int, rate: float) -> Run:
            return client_run(by_key[key], servers[key], sizes, window, rate, pinning, redis_pid)

        for key in keys:  # warm-up: imports, first connections, Redis subscriptions
            one(key, 8, 0.0)
        for window in sizes.windows:
            results.windows[window] = alternate(
                keys, sizes.rounds, partial(one, window=window, rate=0.0)
            )
            log(f"fan-out {mode}, {window} in flight: " + summary(results.windows[window]))
        results.latency = alternate(keys, sizes.rounds, lambda key: one(key, 0, sizes.rate))
        log(f"fan-out {mode}, {sizes.rate:g} msg/s: latency measured")
    return results


def alternate(
    keys: Sequence[str], rounds: int, measure: Callable[[str], Run]
) -> dict[str, list[Run]]:
    """Round r measures every key, in an order rotated by r."""
    collected: dict[str, list[Run]] = {key: [] for key in keys}
    for index in range(rounds):
        for key in rotated(keys, index):
            collected[key].append(measure(key))
    return collected


def summary(runs: Mapping[str, list[Run]]) -> str:
    """One progress line: each contender's last delivered/s."""
    return ", ".join(f"{key} {r[-1].delivered_per_s:,.0f}/s" for key, r in runs.items())


def client_run(
    contender: Contender,
    servers: Sequence[RunningServer],
    sizes: Sizes,
    window: int,
    rate: float,
    pinning: Pinning,
    redis_pid: int | None,
) -> Run:
    """One client run; the client reads the server side's CPU time around what it times.

    Reading it there, from the first publish to the last delivery, leaves out the
    handshakes and the probes, which would otherwise weigh on small runs and big rooms.
    """
    pids = [server.process.pid for server in servers]
    if redis_pid is not None and contender.key != "raw":
        pids.append(redis_pid)
    options: dict[str, object] = {
        "server_pids": ",".join(map(str, pids)),
        "dialect": contender.dialect,
        "ports": ",".join(str(server.port) for server in servers),
        "subscribers": sizes.subscribers,
        "window": max(window, 1),
        "messages": sizes.messages,
        "max_seconds": sizes.rate_seconds if rate else sizes.max_seconds,
        "rate": rate,
    }
    result = run_client_module(pinning, options)
    if result["reached_by_probe"] < sizes.subscribers:
        log(
            f"{contender.key}: only {result['reached_by_probe']} of {sizes.subscribers} "
            f"subscribers were reached before the run; delivered {result['delivered']:,} "
            f"of {result['published'] * sizes.subscribers:,}"
        )
    delivered = max(result["delivered"], 1)
    return Run(
        result["delivered_per_s"],
        result["server_cpu_s"] * 1e6 / delivered,
        # Counts: ints in the client's JSON, which run_client_module types float for its rates.
        int(result["lost"]),
        int(result["out_of_order"] + result["corrupt"] + result["unknown"]),
        result["p50_ms"],
        result["p99_ms"],
        result["client_cpu_share"],
    )


def run_client_module(pinning: Pinning, options: Mapping[str, object]) -> dict[str, float]:
    """``python -m bench.fanout_client`` with `options`, on the client's core."""
    argv = [*Pinning.prefix(pinning.client_cpu), sys.executable, "-m", "bench.fanout_client"]
    return run_json(argv + option_args(options), CLIENT_TIMEOUT, "fan-out client")


# --- the report -----------------------------------------------------------------------


def best_peer_ratios(
    runs: Mapping[str, Sequence[float]],
    peers: Sequence[str],
    subject: str = "generated",
    *,
    higher_is_better: bool = True,
) -> list[float]:
    """Round by round: `subject`'s value ÷ the best peer's value in that same round.

    The best peer is the highest value (throughput) or the lowest (latency); a round in
    which the best peer's value is zero is skipped.
    """
    ratios = []
    for index, value in enumerate(runs[subject]):
        values = [runs[peer][index] for peer in peers]
        best = max(values) if higher_is_better else min(values)
        if best:
            ratios.append(value / best)
    return ratios


def column(runs: Mapping[str, Sequence[Run]], attribute: str) -> dict[str, list[float]]:
    """One figure of every run, per contender."""
    return {key: [getattr(run, attribute) for run in values] for key, values in runs.items()}


def goal_rows(results: ModeResults) -> list[list[object]]:
    """The PASS/MISS rows of one mode."""
    peers = [key for key in results.keys if key in PEER_PACKAGES]
    rows: list[list[object]] = []
    if not peers:
        return [[f"{results.mode}: no peer installed", "-", "-", "-"]]
    for window, runs in results.windows.items():
        rates = column(runs, "delivered_per_s")
        ratio = best_peer_ratios(rates, peers)
        rows.append(
            [
                f"{results.mode}, {window} in flight: delivered msg/s generated ÷ best peer",
                Spread.of(ratio).format(),
                f">= {GOAL_THROUGHPUT}",
                verdict(median(ratio), GOAL_THROUGHPUT, at_most=False),
            ]
        )
        # Ratios without a goal: against the code before (--baseline) and the ceiling.
        for key, against in (("baseline", "baseline (side by side)"), ("raw", CEILING_LABEL)):
            if key in rates:
                rows.append(
                    [
                        f"{results.mode}, {window} in flight: generated ÷ {against}",
                        Spread.of(best_peer_ratios(rates, [key])).format(),
                        "(no goal)",
                        "-",
                    ]
                )
    bad = sum(
        run.lost + run.out_of_order for r in results.windows.values() for run in r["generated"]
    )
    bad += sum(run.lost + run.out_of_order for run in results.latency["generated"])
    rows.append(
        [
            f"{results.mode}: generated, messages lost or out of order",
            str(bad),
            "0",
            verdict(bad, 0, at_most=True),
        ]
    )
    p99 = best_peer_ratios(column(results.latency, "p99_ms"), peers, higher_is_better=False)
    rows.append(
        [
            f"{results.mode}: p99 latency generated ÷ best peer (fixed rate)",
            Spread.of(p99).format() if p99 else "-",
            f"<= {GOAL_P99}",
            verdict(median(p99), GOAL_P99, at_most=True) if p99 else "-",
        ]
    )
    return rows


def mode_tables(results: ModeResults, sizes: Sizes) -> str:
    """The markdown of one mode: throughput per window, latency, goals."""
    title = (
        "memory, one process each"
        if results.mode == "memory"
        else "Redis, two processes each (raw ceiling: one process, no Redis)"
    )
    rows = []
    for window, runs in results.windows.items():
        for key in results.keys:
            values = runs[key]
            rows.append(
                [
                    results.labels[key],
                    window,
                    Spread.of([r.delivered_per_s for r in values]).format(0, grouping=True),
                    median([r.cpu_us_per_msg for r in values]),
                    sum(r.lost for r in values),
                    sum(r.out_of_order for r in values),
                    f"{max(r.client_cpu_share for r in values):.0%}",
                ]
            )
    throughput = markdown_table(
        [
            "server",
            "in flight",
            "delivered msg/s",
            "server CPU us/msg",
            "lost",
            "out of order",
            "client CPU",
        ],
        rows,
    )
    latency = markdown_table(
        ["server", "p50 ms", "p99 ms", "lost", "out of order"],
        [
            [
                results.labels[key],
                median([r.p50_ms for r in results.latency[key]]),
                median([r.p99_ms for r in results.latency[key]]),
                sum(r.lost for r in results.latency[key]),
                sum(r.out_of_order for r in results.latency[key]),
            ]
            for key in results.keys
        ],
    )
    skipped = "".join(f"\n\n{line}" for line in results.skipped)
    return (
        f"**Room fan-out, {title}** ({sizes.subscribers} subscribers + 1 publisher, "
        f"{sizes.rounds} alternating round(s); each run stops after {sizes.messages:,} messages "
        f"or {sizes.max_seconds:g} s; medians, min-max in brackets; lost and out of order "
        f"are totals over the rounds):\n\n{throughput}\n\n"
        f"Delivery latency at a fixed {sizes.rate:g} messages/s "
        f"({sizes.rate * sizes.subscribers:,.0f} "
        f"deliveries/s, {sizes.rate_seconds:g} s per run):\n\n{latency}{skipped}"
    )


def report(all_results: Sequence[ModeResults], sizes: Sizes) -> str:
    """The whole fan-out report: per-mode tables, then the goals."""
    goals = markdown_table(
        ["goal", "measured", "target", "verdict"],
        [row for results in all_results for row in goal_rows(results)],
    )
    notes = (
        "Unpatched rows run the peer as released; the best peer is chosen among the patched "
        "ones (bench/peers/fixes.py says what each fix is). Server CPU includes redis-server "
        "in the Redis mode. The ceiling is one process without a broker in both modes."
    )
    return "\n\n".join([*(mode_tables(results, sizes) for results in all_results), goals, notes])


# --- running it -----------------------------------------------------------------------


@contextmanager
def redis_for(mode: str, pinning: Pinning) -> Iterator[tuple[str | None, int | None]]:
    """The memory mode needs no Redis; the Redis mode gets a throwaway one, pinned."""
    if mode == "memory":
        yield None, None
        return
    with redis_server(pinning.server_cpu) as (url, pid):
        yield url, pid


def baseline_service(workdir: Path, checkout: Path, mode: str) -> Path:
    """The service generated from `checkout`'s template at its HEAD commit, for `mode`.

    HEAD is passed to copier as its commit id: given the ref ``HEAD`` of a local checkout,
    copier folds the checkout's uncommitted changes in, and a baseline taken from the
    working copy being measured would then be the new code under the old name.
    """
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    log(f"the baseline ({mode}): generated from {checkout} at HEAD ({commit[:12]})")
    return generate_once(
        workdir / f"baseline-{mode}" / GENERATED_PACKAGE,
        ["broadcast=redis"] if mode == "redis" else [],
        src=str(checkout),
        vcs_ref=commit,
    )


def chart_groups(all_results: Sequence[ModeResults]) -> list[tuple[str, list[tuple[str, float]]]]:
    """The plot's data: per mode and window, each server's median delivered msg/s."""
    return [
        (
            f"{results.mode}, {window} in flight",
            [
                (results.labels[key], median([run.delivered_per_s for run in runs[key]]))
                for key in results.keys
            ],
        )
        for results in all_results
        for window, runs in results.windows.items()
    ]


def run_peer_fanout(
    workdir: Path,
    project: Path,
    sizes: Sizes,
    pinning: Pinning,
    log_level: str,
    modes: Sequence[str] = MODES,
    svg: Path | None = None,
    servers: Sequence[str] = SERVER_NAMES,
    baseline: Path | None = None,
) -> str:
    """Measure every mode in `modes`; return the markdown report (and write the plot).

    Only the contenders named in `servers` run (the generated service always does). With
    `baseline` (a checkout of fastgen), a service generated from that checkout's committed
    template runs beside the generated one, as "baseline".
    """
    missing = missing_peers()
    skipped = [
        f"Skipped: {LABELS[key]} is not installed (`pip install -e '.[bench]'`)." for key in missing
    ]
    for line in skipped:
        log(line)
    collected = []
    for mode in modes:
        if mode == "redis" and shutil.which("redis-server") is None:
            line = "Skipped: the Redis mode, `redis-server` is not installed."
            log(line)
            skipped.append(line)
            continue
        with redis_for(mode, pinning) as (url, pid):
            served = project if mode == "memory" else generate_redis_service(workdir)
            before = None if baseline is None else baseline_service(workdir, baseline, mode)
            cast = [
                contender
                for contender in contenders(mode, served, url, log_level, missing, before)
                if contender.key == "generated" or contender.spec.key in servers
            ]
            collected.append(measure_mode(mode, cast, sizes, pinning, workdir, pid, skipped))
    if not collected:
        return "\n\n".join(skipped)
    if svg is not None:
        title = f"Room fan-out: delivered messages/s, {sizes.subscribers} subscribers (medians)"
        write_bar_chart(svg, title, chart_groups(collected), "/s")
    return report(collected, sizes)
