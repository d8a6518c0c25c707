"""Part 2 of ``python -m bench capacity``: one machine, ``--workers W`` and the Redis broker.

The workers share the port; the load is spread over several client processes, each from
source addresses of its own (see `bench.capacity_client.source_address`). Every session
joins one of 1,000 rooms and the shared room. Measured: sessions admitted (authenticated
and joined), idle CPU of every worker over a window, Redis calls per second in the same
window (the presence refresh, INFO commandstats deltas), total RSS, fan-out to the shared
room in deliveries per second, and shutdown: SIGTERM → every client has its close → exit.
"""

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bench import capacity_procs as procs
from bench.capacity import ROOMS, SHARED_ROOM, Sizes, fanout, service
from bench.fanout import redis_server
from bench.servers import GENERATED_PACKAGE
from bench.stats import median
from bench.ws_bench import log

# Closes a client may see when the service shuts down: going away, or restarting.
SHUTDOWN_CODES = ("1001", "1012")
SETTLE_SECONDS = 3.0


def worker_pids(root: int, expected: int, timeout: float = 60.0) -> list[int]:
    """The service's processes once `expected` workers run (or `timeout` passed).

    The supervisor, multiprocessing's resource tracker and the workers: `expected` + 2.
    """
    deadline = time.monotonic() + timeout
    tree = procs.process_tree(root)
    while len(tree) < expected + 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        tree = procs.process_tree(root)
    return tree


def shutdown(
    server_process: subprocess.Popen[bytes], fleet: list[procs.LoadProcess], limit: float
) -> dict:
    """SIGTERM the supervisor; time until every client has its close and the service exited.

    `limit` is the service's SHUTDOWN_TIMEOUT; the waits give it 30 s more.
    """
    waits = [(member, member.send("closes", timeout=limit + 30)) for member in fleet]
    started_ns = time.monotonic_ns()
    server_process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server_process.wait(limit + 30)
    exited_ns = time.monotonic_ns() if server_process.poll() is not None else 0
    answers = [member.reply(command_id) for member, command_id in waits]
    codes: dict[str, int] = {}
    for answer in answers:
        for code, count in answer["codes"].items():
            codes[code] = codes.get(code, 0) + count
    last_close_ns = max(answer["last_ns"] for answer in answers)
    return {
        "limit_s": limit,
        "exited": bool(exited_ns),
        "seconds": (max(exited_ns, last_close_ns) - started_ns) / 1e9 if exited_ns else None,
        "last_close_s": (last_close_ns - started_ns) / 1e9,
        "codes": codes,
        "closed_well": sum(codes.get(code, 0) for code in SHUTDOWN_CODES),
    }


def run_machine(
    project: Path, sizes: Sizes, logdir: Path, settings: Mapping[str, str]
) -> dict[str, Any]:
    """Part 2's figures (see the module's docstring)."""
    result: dict[str, Any] = {}
    with redis_server() as (url, redis_pid):
        redis_port = int(url.rsplit(":", 1)[1].split("/")[0])
        argv = ["-m", GENERATED_PACKAGE, "--workers", str(sizes.workers)]
        with service(project, argv, None, logdir, {"REDIS_URL": url}) as server:
            pids = worker_pids(server.process.pid, sizes.workers)
            log(f"machine: {len(pids)} service processes; opening {sizes.machine_sessions:,}")
            result["processes"] = len(pids)
            with procs.load_fleet(
                server.port, sizes.machine_sessions, sizes.machine_processes, None
            ) as fleet:
                started = time.perf_counter()
                opened = procs.ask_all(fleet, "open", concurrency=max(64 // len(fleet), 1))
                result["connect_s"] = time.perf_counter() - started
                result["opened"] = sum(a["opened"] for a in opened)
                result["refused"] = sum(a["failed"] for a in opened)
                result["refusals"] = dict(sum((Counter(a["errors"]) for a in opened), Counter()))
                joined = procs.ask_all(fleet, "join", rooms=ROOMS, extra=[SHARED_ROOM])
                result["admitted"] = min(result["opened"], sum(a["joined"] for a in joined) // 2)
                result["join_retries"] = sum(a["retried"] for a in joined)
                result["join_s"] = max(a["join_s"] for a in joined)
                log(f"machine: {result['admitted']:,} admitted over {sizes.workers} workers")
                time.sleep(SETTLE_SECONDS)
                before, cpu_before = procs.redis_info(redis_port), procs.cpu_seconds(pids)
                time.sleep(sizes.machine_window)
                cpu = procs.cpu_seconds(pids) - cpu_before
                after = procs.redis_info(redis_port)
                window = sizes.machine_window
                result["idle_machine_share"] = cpu / window / (os.cpu_count() or 1)
                result["redis_calls_per_s"] = procs.command_rates(before, after, window)
                result["redis_in_bytes_per_s"] = (
                    procs.number(after, "total_net_input_bytes")
                    - procs.number(before, "total_net_input_bytes")
                ) / window
                result["rss_kib"] = procs.rss_kib(pids)
                result["redis_rss_kib"] = procs.rss_kib([redis_pid])
                local = [a["opened"] for a in opened]
                runs = [
                    fanout(fleet, [*pids, redis_pid], SHARED_ROOM, result["opened"], seq, local)
                    for seq in range(1, sizes.fanout_messages + 1)
                ]
                seconds = median([s for s, _ in runs])
                result["fanout_s"] = seconds
                result["fanout_per_s"] = result["opened"] / seconds
                result["fanout_us"] = median([us for _, us in runs])
                limit = float(settings["SHUTDOWN_TIMEOUT"])
                result["shutdown"] = shutdown(server.process, fleet, limit)
    return result
