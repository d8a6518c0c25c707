"""``python -m bench capacity``: how many sessions one process and one machine hold (issue 28).

Part 1, one process: the generated service (memory broker, ``python -m <package>`` under
`bench.service_probe`, pinned to one core) against the bare FastAPI + uvicorn app, the
load on the other core, alternating A/B rounds of a ramp to N authenticated sessions
(connect+auth time, RSS per session). In the first service round the sessions then join
one of 1,000 rooms and a shared room, and the service is measured holding them: what
rooms add per session, idle CPU, one message to every session (and to a reference room
of fewer), the p99 of a 100 msg/s echo stream against the same with no sessions, and the
collector's pauses. Part 2, the machine: ``python -m <package> --workers W`` with the
Redis broker (`bench.capacity_machine`).
"""

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import capacity_procs as procs
from bench.capacity_report import Measured, capacity_report
from bench.fanout import generate_redis_service
from bench.servers import (
    GENERATED_PACKAGE,
    REPO_ROOT,
    Pinning,
    RunningServer,
    ServerSpec,
    _raise_nofile_limit,
    _stop,
    _wait_listening,
    free_port,
    generate_service,
    run_json,
    running,
    server_specs,
)
from bench.stats import median
from bench.ws_bench import log

ROOMS = 1000
SHARED_ROOM = "all"
REF_ROOM = "ref"
STREAM_RATE = 100.0
# Sessions one load process holds at most: the file limit here is 20,000 per process.
PER_LOAD_PROCESS = 17_500
# What the service runs with, stated in the report: the README's capacity claim uses these.
SETTINGS = {
    "MAX_CONNECTIONS": "19500",
    # The echo stream sends 100 a second on one session.
    "MAX_MESSAGES_PER_SECOND": "200",
    # One join would otherwise send a presence event to every member of the shared room.
    "PRESENCE_EVENTS": "false",
    "HEARTBEAT_INTERVAL": "20",
    "HEARTBEAT_TIMEOUT": "20",
    "PRESENCE_TTL": "30",
    "HISTORY_SIZE": "500",
    "SHUTDOWN_TIMEOUT": "10",
    "SEND_QUEUE_SIZE": "1024",
}


@dataclass(frozen=True)
class Sizes:
    """One mode's sizes (`FULL` or `QUICK`, with what the command line set)."""

    sessions: int
    ref_sessions: int
    rounds: int
    load_processes: int
    idle_seconds: float
    stream_seconds: float
    fanout_messages: int
    machine_sessions: int
    workers: int
    machine_processes: int
    machine_window: float


# The machine's window is a multiple of the presence refresh period (PRESENCE_TTL/4 = 7.5 s),
# so that every worker's passes are counted alike whatever their phase.
FULL = Sizes(19_000, 10_000, 3, 2, 60.0, 20.0, 5, 100_000, 7, 7, 30.0)
QUICK = Sizes(500, 250, 1, 2, 5.0, 3.0, 3, 1000, 2, 2, 7.5)


def write_env(project: Path, sessions: int, settings: Mapping[str, str]) -> None:
    """The project's ``.env``: one token per session (``t<i>`` → user ``u<i>``), the settings.

    A file, not the environment: 100,000 tokens are far over what one variable may hold.
    """
    tokens = {f"t{index}": f"u{index}" for index in range(sessions)}
    lines = [f"AUTH_TOKENS={json.dumps(tokens, separators=(',', ':'))}"]
    lines += [f"{name}={value}" for name, value in settings.items()]
    (project / ".env").write_text("\n".join(lines) + "\n", encoding="utf-8")


def env_file_keys(project: Path) -> set[str]:
    """The variables the project's ``.env`` sets."""
    path = project / ".env"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return {line.partition("=")[0] for line in text.splitlines() if "=" in line}


def service_env(port: int, written: set[str]) -> dict[str, str]:
    """The environment of a generated service run, less what its ``.env`` (`written`) sets.

    The environment would win over the file: a variable of the caller's shell must not, and
    the defaults here give way to a ``--set`` of the same name (the address excepted).
    """
    env = {k: v for k, v in os.environ.items() if k not in written}
    defaults = {"SERVICE_NAME": "chat"}
    return {
        **env,
        **{k: v for k, v in defaults.items() if k not in written},
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(REPO_ROOT),
        "HOST": "127.0.0.1",
        "PORT": str(port),
    }


@contextlib.contextmanager
def service(
    project: Path, argv: list[str], cpu: int | None, logdir: Path, env: Mapping[str, str]
) -> Iterator[RunningServer]:
    """Run ``python <argv>`` in `project` with `env` until it listens; always stop it."""
    port = free_port()
    log_path = logdir / f"capacity-{port}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(
            [*Pinning.prefix(cpu), sys.executable, *argv],
            cwd=project,
            env={**service_env(port, env_file_keys(project)), **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_raise_nofile_limit,
            start_new_session=True,
        )
    server = RunningServer(ServerSpec("generated", argv, project), process, port, log_path)
    try:
        _wait_listening(server)
        yield server
    finally:
        _stop(process)


def echo_stream(port: int, cpu: int | None, seconds: float) -> dict[str, Any]:
    """The 100 msg/s echo stream's figures (`bench.capacity_client` ``stream``)."""
    argv = [*Pinning.prefix(cpu), sys.executable, "-m", "bench.capacity_client", "stream"]
    argv += ["--port", str(port), "--rate", str(STREAM_RATE), "--seconds", str(seconds)]
    return run_json(argv, seconds + 120, "echo stream")


@dataclass
class Round:
    """One server's ramp: time to open every session, RSS before and after."""

    connect_s: float
    kib_per_session: float


def ramp(server: RunningServer, fleet: list[procs.LoadProcess], sessions: int, what: str) -> Round:
    """Open every session of `fleet` at once; time it and read the server's RSS growth."""
    before = server.rss_kib()
    started = time.perf_counter()
    answers = procs.ask_all(fleet, "open", concurrency=max(64 // len(fleet), 1))
    elapsed = time.perf_counter() - started
    opened = sum(a["opened"] for a in answers)
    if opened < sessions:
        errors = [a["errors"] for a in answers if a["failed"]]
        raise RuntimeError(f"{what}: only {opened} of {sessions} sessions opened: {errors}")
    time.sleep(1.0)  # let lazily grown buffers and tables settle
    kib = (server.rss_kib() - before) / sessions
    log(f"{what}: {sessions:,} sessions in {elapsed:.1f} s, {kib:.1f} KiB each")
    return Round(elapsed, kib)


def fanout(
    fleet: list[procs.LoadProcess],
    pids: list[int],
    room: str,
    members: int,
    seq: int,
    local: list[int] | None = None,
) -> tuple[float, float]:
    """One chat to `room` (`members` sessions): seconds to the last delivery, CPU us/delivery.

    `local` is how many members each load process holds (default: the first `members`
    sessions by global index).
    """
    if local is None:
        local = [min(max(members - m.first, 0), m.count) for m in fleet]
    waits = [
        (m, m.send("await", seq=seq, expect=n, timeout=120))
        for m, n in zip(fleet, local, strict=True)
    ]
    cpu_before = procs.cpu_seconds(pids)
    sent_ns = fleet[0].ask("publish", room=room, seq=seq)["sent_ns"]
    answers = [m.reply(command_id) for m, command_id in waits]
    cpu = procs.cpu_seconds(pids) - cpu_before
    received = sum(a["received"] for a in answers)
    if received < members:
        raise RuntimeError(f"fan-out to {room}: {received} of {members} delivered")
    last_ns = max(a["last_ns"] for a in answers)
    return (last_ns - sent_ns) / 1e9, cpu * 1e6 / members


@dataclass
class OneProcess:
    """Part 1's figures."""

    service: list[Round] = field(default_factory=list)
    bare: list[Round] = field(default_factory=list)
    house: dict[str, Any] = field(default_factory=dict)


def full_house(
    server: RunningServer,
    fleet: list[procs.LoadProcess],
    sizes: Sizes,
    probe: Path,
    cpu: int | None,
) -> dict[str, Any]:
    """The service holding every session, in rooms: memory, idle CPU, fan-out, echo, GC."""
    house: dict[str, Any] = {}
    before = server.rss_kib()
    joined = procs.ask_all(fleet, "join", rooms=ROOMS, extra=[SHARED_ROOM])
    if sum(a["joined"] for a in joined) < 2 * sizes.sessions:
        raise RuntimeError(f"joins not all acknowledged: {joined}")
    house["join_retries"] = sum(a["retried"] for a in joined)
    procs.ask_all(fleet, "join", rooms=0, extra=[REF_ROOM], limit=sizes.ref_sessions)
    time.sleep(1.0)
    house["rooms_kib_per_session"] = (server.rss_kib() - before) / sizes.sessions
    house["gc_ramp"] = procs.ask_probe(probe, "gc")
    pid = [server.process.pid]
    cpu_before = procs.cpu_seconds(pid)
    time.sleep(sizes.idle_seconds)
    house["idle_core_share"] = (procs.cpu_seconds(pid) - cpu_before) / sizes.idle_seconds
    procs.ask_probe(probe, "gc-reset")
    shared, ref = [], []
    for number in range(sizes.fanout_messages):
        shared.append(fanout(fleet, pid, SHARED_ROOM, sizes.sessions, 2 * number + 1))
        ref.append(fanout(fleet, pid, REF_ROOM, sizes.ref_sessions, 2 * number + 2))
    house["fanout_s"] = median([s for s, _ in shared])
    house["fanout_us"] = median([us for _, us in shared])
    house["ref_fanout_s"] = median([s for s, _ in ref])
    house["ref_fanout_us"] = median([us for _, us in ref])
    house["gc_fanout"] = procs.ask_probe(probe, "gc")
    procs.ask_probe(probe, "gc-reset")
    house["stream_full"] = echo_stream(server.port, cpu, sizes.stream_seconds)
    house["gc_stream"] = procs.ask_probe(probe, "gc")
    house["rss_kib"] = server.rss_kib()
    return house


def run_one_process(
    project: Path, bare: ServerSpec, sizes: Sizes, pinning: Pinning, logdir: Path
) -> OneProcess:
    """Part 1: alternating ramps of the service and the bare app; the full house in round 1."""
    result = OneProcess()
    argv = ["-m", "bench.service_probe", GENERATED_PACKAGE]
    for number in range(sizes.rounds):
        probe = logdir / f"probe-{number}.json"
        env = {"FASTGEN_BENCH_PROBE": str(probe)}
        with service(project, argv, pinning.server_cpu, logdir, env) as server:
            quiet = echo_stream(server.port, pinning.client_cpu, sizes.stream_seconds)
            if number == 0:
                result.house["stream_none"] = quiet
                # The pauses of start-up (imports, settings) are not the sessions'.
                procs.ask_probe(probe, "gc-reset")
            with procs.load_fleet(
                server.port, sizes.sessions, sizes.load_processes, pinning.client_cpu
            ) as fleet:
                result.service.append(ramp(server, fleet, sizes.sessions, "service"))
                if number == 0:
                    house = full_house(server, fleet, sizes, probe, pinning.client_cpu)
                    result.house.update(house)
        with running(bare, pinning, logdir) as server:
            echo_stream(server.port, pinning.client_cpu, min(sizes.stream_seconds, 2.0))
            with procs.load_fleet(
                server.port, sizes.sessions, sizes.load_processes, pinning.client_cpu
            ) as fleet:
                result.bare.append(ramp(server, fleet, sizes.sessions, "bare"))
    return result


def parse_args(argv: list[str]) -> argparse.Namespace:
    """``python -m bench capacity``'s options; unset sizes come from the full or quick preset."""
    parser = argparse.ArgumentParser(
        prog="python -m bench capacity",
        description="Sessions one service process and one machine hold, and what they cost "
        "(issue 28). Full mode takes about 15 minutes on a 2-core machine; --quick about 1.",
    )
    parser.add_argument("--quick", action="store_true", help="CI: 500 sessions; 2 workers, 1000")
    parser.add_argument("--sessions", type=int, help="sessions in one process (19000)")
    parser.add_argument("--ref-sessions", type=int, help="the reference fan-out room (10000)")
    parser.add_argument("--rounds", type=int, help="alternating service/bare ramps (3)")
    parser.add_argument("--workers", type=int, help="worker processes in the machine part (7)")
    parser.add_argument("--machine-sessions", type=int, help="sessions over the workers (100000)")
    parser.add_argument("--skip-machine", action="store_true", help="part 1 only")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a service setting other than the bench's (repeatable; stated in the report)",
    )
    parser.add_argument("--skip-process", action="store_true", help="part 2 only")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="instead: what N sessions keep in one service process (tracemalloc, objects)",
    )
    parser.add_argument(
        "--profile-frames",
        type=int,
        default=1,
        help="with --profile: frames per allocation (1: by line; more: by call stack)",
    )
    from bench.cli import add_common_options  # here: bench.cli imports this module

    add_common_options(parser)
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    chosen = {
        "sessions": args.sessions,
        "ref_sessions": args.ref_sessions,
        "rounds": args.rounds,
        "workers": args.workers,
        "machine_sessions": args.machine_sessions,
    }
    picked = {name: value for name, value in chosen.items() if value is not None}
    if "sessions" in picked and "ref_sessions" not in picked:
        picked["ref_sessions"] = max(picked["sessions"] * preset.ref_sessions // preset.sessions, 1)
    fields = {**dataclasses.asdict(preset), **picked}
    # No load process holds more than MAX_CONNECTIONS' worth; the file limit is near it.
    per_process = PER_LOAD_PROCESS
    fields["load_processes"] = max(preset.load_processes, -(-fields["sessions"] // per_process))
    fields["machine_processes"] = max(
        fields["workers"], -(-fields["machine_sessions"] // per_process)
    )
    args.sizes = Sizes(**fields)
    args.settings = {**SETTINGS, "LOG_LEVEL": args.log_level.upper()}
    for pair in args.set:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            parser.error(f"--set takes KEY=VALUE, got {pair!r}")
        args.settings[name] = value
    return args


def stop_on_sigterm(signum: int, frame: object) -> None:
    """Turn SIGTERM into SystemExit, which runs every `finally` on the way out."""
    raise SystemExit(128 + signum)


def run_capacity(argv: list[str]) -> int:
    """Run the selected parts and print (and write) the report."""
    # Here, not at the top: these modules import this one (and bench.cli imports it too).
    from bench.capacity_machine import run_machine
    from bench.capacity_profile import run_profile
    from bench.cli import pinning_of, write_report

    args = parse_args(argv)
    pinning = pinning_of(args)
    sizes: Sizes = args.sizes
    # A SIGTERM (CI's `timeout`) unwinds like an error, so every process started is stopped.
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    with tempfile.TemporaryDirectory(prefix="fastgen-capacity-") as tmp:
        workdir = Path(tmp)
        log("generating the production service (memory and Redis) from this checkout's template")
        project = generate_service(workdir)
        if args.profile:
            write_env(project, args.profile + 1, args.settings)
            body = run_profile(project, args.profile, pinning, workdir, args.profile_frames)
            return write_report(["capacity", *argv], pinning, body, args.out)
        measured = Measured(sizes, args.settings, args.quick)
        if not args.skip_process:
            write_env(project, sizes.sessions + 1, args.settings)
            bare = server_specs(project, args.log_level, {})["bare"]
            measured.one = run_one_process(project, bare, sizes, pinning, workdir)
        if not args.skip_machine:
            redis_project = generate_redis_service(workdir)
            write_env(redis_project, sizes.machine_sessions, args.settings)
            measured.machine = run_machine(redis_project, sizes, workdir, args.settings)
    return write_report(["capacity", *argv], pinning, capacity_report(measured), args.out)
