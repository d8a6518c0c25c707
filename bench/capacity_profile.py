"""``python -m bench capacity --profile N``: what each session keeps in a service process.

One service process (memory broker) under `bench.service_probe` with tracemalloc on: a
warm-up fleet comes and goes, the probe remembers the process's objects, tasks and
allocations, N sessions open (each authenticated by one echo), and the probe lists what
grew, divided by N: allocation sites (bytes and blocks), objects by type, tasks by
coroutine. Then the sessions join a room each and the shared room, and the same again.
Tracing slows the service down: this mode measures what is kept, never how fast.
"""

from pathlib import Path
from typing import Any

from bench import capacity_procs as procs
from bench.capacity import ROOMS, SHARED_ROOM, echo_stream, service
from bench.servers import GENERATED_PACKAGE, Pinning
from bench.stats import markdown_table
from bench.ws_bench import log

WARM_SESSIONS = 50
TRACE_FRAMES = 1
ROWS = 15


def per_session_tables(diff: dict[str, Any], sessions: int) -> str:
    """The probe's ``diff`` answer as four markdown tables, per session."""
    sites = markdown_table(
        ["allocation site", "bytes/session", "blocks/session"],
        [
            [site["site"], site["bytes"] / sessions, site["blocks"] / sessions]
            for site in diff["sites"][:ROWS]
        ],
    )
    types = markdown_table(
        ["object type (gc-tracked)", "objects/session"],
        [[name, count / sessions] for name, count in list(diff["types"].items())[:ROWS]],
    )
    packages = markdown_table(
        ["allocated by", "bytes/session"],
        [[name, size / sessions] for name, size in diff["packages"].items() if size > 0][:ROWS],
    )
    tasks = markdown_table(
        ["task (coroutine)", "tasks/session"],
        [[name, count / sessions] for name, count in diff["tasks"].items()] or [["none", 0.0]],
    )
    return f"{packages}\n\n{sites}\n\n{types}\n\n{tasks}"


def run_profile(
    project: Path, sessions: int, pinning: Pinning, logdir: Path, frames: int = TRACE_FRAMES
) -> str:
    """Open `sessions` sessions under tracemalloc; what they keep, per session (markdown)."""
    probe = logdir / "probe-profile.json"
    env = {"FASTGEN_BENCH_PROBE": str(probe), "FASTGEN_BENCH_TRACEMALLOC": str(frames)}
    argv = ["-m", "bench.service_probe", GENERATED_PACKAGE]
    with service(project, argv, pinning.server_cpu, logdir, env) as server:
        echo_stream(server.port, pinning.client_cpu, 1.0)
        with procs.load_fleet(server.port, WARM_SESSIONS, 1, pinning.client_cpu) as warm:
            procs.ask_all(warm, "open", concurrency=10)
            procs.ask_all(warm, "join", rooms=ROOMS, extra=[SHARED_ROOM])
        base = procs.ask_probe(probe, "base", timeout=300)
        with procs.load_fleet(server.port, sessions, 1, pinning.client_cpu) as fleet:
            procs.ask_all(fleet, "open", concurrency=32)
            opened = procs.ask_probe(probe, "diff", timeout=300)
            log(f"profile: {sessions:,} sessions open, {opened['traced_bytes']:,} bytes traced")
            procs.ask_all(fleet, "join", rooms=ROOMS, extra=[SHARED_ROOM])
            joined = procs.ask_probe(probe, "diff", timeout=300)
    growth = (opened["traced_bytes"] - base.get("traced_bytes", 0)) / sessions
    return (
        f"**What a session keeps** ({sessions:,} sessions in one service process, memory "
        f"broker, tracemalloc with {frames} frame(s): a site with more is its call stack, "
        "innermost first; Python-allocated memory only, not "
        "the kernel's socket buffers). Objects and allocations that grew since before the "
        f"sessions opened, per session.\n\nTraced memory per session after the handshake: "
        f"{growth:,.0f} bytes.\n\n### After the handshake (authenticated, one echo)\n\n"
        f"{per_session_tables(opened, sessions)}\n\n### After joining a room and the shared "
        f"room (still against the state before the sessions)\n\n"
        f"{per_session_tables(joined, sessions)}"
    )
