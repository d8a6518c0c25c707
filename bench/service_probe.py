"""Run a generated service with a measuring probe inside: GC pauses, allocations, objects.

``python -m bench.service_probe <package> [args]`` installs the probe, then runs
``python -m <package> [args]`` in the same process, so the service itself stays as
generated: nothing bench-only in its code. The probe answers requests through files, from
a daemon thread that wakes every `POLL_INTERVAL` seconds: the bench writes a command to
``$FASTGEN_BENCH_PROBE.request`` and reads the answer (JSON) from
``$FASTGEN_BENCH_PROBE``. Commands:

- ``gc``: every collection's pause since start (or the last ``gc-reset``), measured with
  `gc.callbacks`, per generation: count, total, max and p99 in ms, and the most CPU one
  collection took (a pause can be longer: the core was busy elsewhere); the collector's
  thresholds and counts, and how many objects it tracks.
- ``gc-reset``: start the pause record afresh.
- ``base``: remember the objects by type, the tasks by coroutine, and (with
  ``FASTGEN_BENCH_TRACEMALLOC=<frames>`` set at start) a tracemalloc snapshot.
- ``diff``: what changed since ``base``: objects by type, tasks by coroutine, and the
  allocation sites that grew most (tracemalloc), for the bench to divide by sessions.
"""

import asyncio
import gc
import json
import os
import runpy
import sys
import threading
import time
import tracemalloc
from array import array
from collections import Counter
from pathlib import Path
from typing import Any

POLL_INTERVAL = 0.5
TOP_SITES = 25
MAX_PAUSES = 1_000_000  # a bounded record: ~8 MB at most


class GcPauses:
    """The pause of every collection, timed by a `gc.callbacks` entry."""

    def __init__(self) -> None:
        self.started_ns = 0
        self.started_cpu_ns = 0
        self.pauses: dict[int, array[int]] = {0: array("q"), 1: array("q"), 2: array("q")}
        # The longest collection's CPU time per generation: a wall-clock pause far longer
        # than it was spent waiting for the core (another process ran), not collecting.
        self.max_cpu_ns = [0, 0, 0]

    def callback(self, phase: str, info: dict[str, int]) -> None:
        """``start`` notes the time; ``stop`` records the pause under its generation."""
        if phase == "start":
            self.started_ns = time.perf_counter_ns()
            self.started_cpu_ns = time.thread_time_ns()
        elif self.started_ns:
            generation = info["generation"]
            pauses = self.pauses[generation]
            if len(pauses) < MAX_PAUSES:
                pauses.append(time.perf_counter_ns() - self.started_ns)
            cpu = time.thread_time_ns() - self.started_cpu_ns
            self.max_cpu_ns[generation] = max(self.max_cpu_ns[generation], cpu)
            self.started_ns = 0

    def reset(self) -> None:
        """Forget the pauses recorded so far."""
        for generation in self.pauses:
            self.pauses[generation] = array("q")
        self.max_cpu_ns = [0, 0, 0]

    def report(self) -> dict[str, Any]:
        """Per generation: count, total, max and p99 of the pauses (ms)."""
        by_generation = {}
        for generation, pauses in self.pauses.items():
            ordered = sorted(pauses)
            by_generation[str(generation)] = {
                "count": len(ordered),
                "total_ms": sum(ordered) / 1e6,
                "max_ms": (ordered[-1] / 1e6) if ordered else 0.0,
                "p99_ms": (ordered[int(0.99 * (len(ordered) - 1))] / 1e6) if ordered else 0.0,
                "max_cpu_ms": self.max_cpu_ns[generation] / 1e6,
            }
        return {
            "generations": by_generation,
            "threshold": list(gc.get_threshold()),
            "count": list(gc.get_count()),
            "tracked_objects": len(gc.get_objects()),
            "frozen": gc.get_freeze_count(),
        }


class Probe:
    """The state the commands read: the pauses, and what ``base`` remembered."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.request = out.with_name(out.name + ".request")
        self.pauses = GcPauses()
        self.base_types: Counter[str] = Counter()
        self.base_tasks: Counter[str] = Counter()
        self.base_snapshot: tracemalloc.Snapshot | None = None

    def tasks(self) -> Counter[str]:
        """The running event loop's pending tasks by coroutine name."""
        loops = [
            obj
            for obj in gc.get_objects()
            if isinstance(obj, asyncio.AbstractEventLoop) and obj.is_running()
        ]
        return Counter(
            getattr(task.get_coro(), "__qualname__", "?")
            for loop in loops
            for task in asyncio.all_tasks(loop)
        )

    def answer(self, command: str) -> dict[str, Any]:
        """Run one command (see the module's docstring)."""
        if command == "gc":
            return self.pauses.report()
        if command == "gc-reset":
            self.pauses.reset()
            return {"reset": True}
        if command == "base":
            traced = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
            self.base_types = objects_by_type()
            self.base_tasks = self.tasks()
            if tracemalloc.is_tracing():
                self.base_snapshot = tracemalloc.take_snapshot()
            return {"objects": sum(self.base_types.values()), "traced_bytes": traced}
        if command == "diff":
            return self.diff()
        return {"error": f"unknown probe command {command!r}"}

    def diff(self) -> dict[str, Any]:
        """Objects by type, tasks and allocation sites that grew since ``base``."""
        # Read before the snapshot below, which is itself tens of MB of traced objects.
        traced = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
        types = objects_by_type()
        types.subtract(self.base_types)
        tasks = self.tasks()
        tasks.subtract(self.base_tasks)
        sites = []
        packages: Counter[str] = Counter()
        if self.base_snapshot is not None:
            snapshot = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            stats = snapshot.compare_to(self.base_snapshot, "lineno")
            for stat in stats:
                packages[package_of(stat.traceback[0].filename)] += stat.size_diff
            # With more than one frame traced, the sites are whole call stacks.
            grouping = "traceback" if tracemalloc.get_traceback_limit() > 1 else "lineno"
            if grouping == "traceback":
                stats = snapshot.compare_to(self.base_snapshot, grouping)
            for stat in stats[:TOP_SITES]:
                sites.append(
                    {
                        "site": " < ".join(
                            f"{short_path(frame.filename)}:{frame.lineno}"
                            for frame in reversed(stat.traceback)
                        ),
                        "bytes": stat.size_diff,
                        "blocks": stat.count_diff,
                    }
                )
        return {
            "types": dict(types.most_common(TOP_SITES)),
            "tasks": {name: n for name, n in tasks.most_common(TOP_SITES) if n},
            "sites": sites,
            "packages": dict(packages.most_common(TOP_SITES)),
            "traced_bytes": traced,
        }

    def serve(self) -> None:
        """Answer request files until the process exits (a daemon thread runs this)."""
        while True:
            time.sleep(POLL_INTERVAL)
            try:
                command = self.request.read_text().strip()
            except FileNotFoundError:
                continue
            self.request.unlink()
            answer = {"command": command, **self.answer(command)}
            partial = self.out.with_name(self.out.name + ".partial")
            partial.write_text(json.dumps(answer))
            partial.replace(self.out)


def objects_by_type() -> Counter[str]:
    """Every object the collector tracks, counted by its type's name."""
    return Counter(type(obj).__qualname__ for obj in gc.get_objects())


def short_path(filename: str) -> str:
    """A file name from ``site-packages``, the project or the standard library on."""
    for marker in ("site-packages/", "/chat_bench/", "/lib/python3."):
        if marker in filename:
            if marker == "/chat_bench/":  # the project's folder has the package's name too
                return "chat_bench/" + filename.rsplit(marker, 1)[1]
            tail = filename.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker.startswith("/lib/") else tail
    return filename


def package_of(filename: str) -> str:
    """Who allocated: a package, the service's engine or user code, or a stdlib module."""
    path = short_path(filename)
    if path.startswith("chat_bench/"):
        return "service engine" if "/engine/" in path else "service (user-owned files)"
    return path.split("/", 1)[0].removesuffix(".py")


def install(out: Path) -> Probe:
    """Start timing collections and answering requests; trace allocations if asked."""
    frames = int(os.environ.get("FASTGEN_BENCH_TRACEMALLOC", "0"))
    if frames:
        tracemalloc.start(frames)
    probe = Probe(out)
    gc.callbacks.append(probe.pauses.callback)
    threading.Thread(target=probe.serve, name="bench-probe", daemon=True).start()
    return probe


def main() -> None:
    """Install the probe, then run the package given as the first argument as ``-m`` would."""
    package, *rest = sys.argv[1:]
    install(Path(os.environ["FASTGEN_BENCH_PROBE"]))
    sys.argv = [package, *rest]
    runpy.run_module(package, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
