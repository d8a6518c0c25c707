"""``python -m bench``: the command line that ties the parts together.

The default is the full run behind the README's Performance section; ``--quick`` is the
seconds-long smoke run CI uses. ``python -m bench fanout`` runs only the room fan-out
against the peers (`bench.peer_fanout`), ``python -m bench scale`` only the 10,000-session
part (`bench.scale`), ``python -m bench redis-parser`` the Redis reply parser's cost
(`bench.redis_parser`), ``python -m bench redis-topologies`` what WAIT and a 3-shard Cluster
cost (`bench.redis_topologies`), ``python -m bench herd`` and ``client-receive`` the
generated Python client (`bench.herd`, `bench.client_receive`), ``python -m bench capacity``
the sessions one process and one machine hold (`bench.capacity`), each with its own options.
Goals are reported as PASS/MISS, never enforced: the exit status is non-zero only when the
benchmark itself breaks.
"""

import argparse
import shlex
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.app_cost import run_app_cost
from bench.capacity import run_capacity
from bench.client_receive import run_client_receive
from bench.fanout import run_all
from bench.gen_speed import GenResults, run_generator
from bench.herd import run_herd
from bench.peer_fanout import FULL as PEERS_FULL
from bench.peer_fanout import MODES as PEER_MODES
from bench.peer_fanout import QUICK as PEERS_QUICK
from bench.peer_fanout import SERVER_NAMES, Sizes, baseline_service, run_peer_fanout
from bench.permissions import main as run_permissions
from bench.presence import run_presence
from bench.redis_parser import main as run_redis_parser
from bench.redis_topologies import main as run_redis_topologies
from bench.report import Settings, machine_description, plot, render
from bench.scale import run_scale, scale_table
from bench.servers import (
    REPO_ROOT,
    Pinning,
    ServerSpec,
    generate_service,
    generated_spec,
    server_specs,
)
from bench.ws_bench import WsResults, log, run_ws

FULL = {
    "conns": 50,
    "msgs": 400,
    "rounds": 5,
    "handshakes": 2000,
    "idle_sessions": 1000,
    "help_runs": 7,
    "new_runs": 5,
    "sweep_messages": 10000,
    "sweep_rounds": 2,
    "app_rounds": 5,
    "app_messages": 20000,
    "fanout_rounds": 5,
    "fanout_members": 100,
    "fanout_messages": 5000,
}
QUICK = {
    "conns": 10,
    "msgs": 100,
    "rounds": 1,
    "handshakes": 100,
    "idle_sessions": 100,
    "help_runs": 3,
    "new_runs": 1,
    "sweep_messages": 1000,
    "sweep_rounds": 1,
    "app_rounds": 1,
    "app_messages": 2000,
    "fanout_rounds": 1,
    "fanout_members": 20,
    "fanout_messages": 500,
}
SWEEP_POINTS = (1, 10, 50, 100, 200)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The benchmark's options; unset sizes come from the full or the ``--quick`` preset."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the generated service against a bare FastAPI endpoint and "
        "raw websockets, and time the generator. Prints a markdown report.",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, tiny sizes")
    parser.add_argument("--conns", type=int, help="connections per echo run (50)")
    parser.add_argument("--msgs", type=int, help="messages per connection per echo run (400)")
    parser.add_argument("--rounds", type=int, help="alternating A/B/C echo rounds (5)")
    parser.add_argument("--handshakes", type=int, help="connect+auth+close per round (2000)")
    parser.add_argument("--idle-sessions", type=int, help="idle sessions for memory (1000)")
    parser.add_argument("--help-runs", type=int, help="`fastgen --help` runs (7)")
    parser.add_argument("--new-runs", type=int, help="`fastgen new`/`copier copy` pairs (5)")
    parser.add_argument("--plot", type=Path, help="also sweep 1-200 connections and write this PNG")
    parser.add_argument("--sweep-messages", type=int, help="messages per sweep run (10000)")
    parser.add_argument("--sweep-rounds", type=int, help="rounds per sweep point (2)")
    parser.add_argument("--app-rounds", type=int, help="in-process app-layer rounds (5)")
    parser.add_argument("--app-messages", type=int, help="echoes per app-layer session (20000)")
    parser.add_argument("--fanout-rounds", type=int, help="history on/off fan-out rounds (5)")
    parser.add_argument("--fanout-members", type=int, help="members of the fan-out room (100)")
    parser.add_argument("--fanout-messages", type=int, help="chats per fan-out round (5000)")
    parser.add_argument("--skip-fanout", action="store_true", help="skip the fan-out part")
    parser.add_argument(
        "--skip-peers", action="store_true", help="skip the fan-out against the peers"
    )
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    parser.add_argument("--skip-ws", action="store_true", help="skip the WebSocket part")
    parser.add_argument("--skip-generator", action="store_true", help="skip the generator part")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a fastgen checkout whose committed template (HEAD) also runs in the echo and "
        "connect rounds, as 'baseline', for a before/after side by side",
    )
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the servers (0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="CPU for the client (1)")
    parser.add_argument("--no-pin", action="store_true", help="do not use taskset")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn's --log-level and the generated service's LOG_LEVEL (warning)",
    )
    parser.add_argument(
        "--gen-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the generated service (repeatable), e.g. to lift a "
        "rate limit above the benchmark's message rate",
    )
    args = parser.parse_args(argv)
    preset = QUICK if args.quick else FULL
    for name, value in preset.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    for pair in args.gen_env:
        if "=" not in pair:
            parser.error(f"--gen-env takes KEY=VALUE, got {pair!r}")
    return args


def parse_fanout_args(argv: list[str]) -> argparse.Namespace:
    """``python -m bench fanout``'s options; unset sizes come from the full or quick preset."""
    parser = argparse.ArgumentParser(
        prog="python -m bench fanout",
        description="Room fan-out of the generated service against python-socketio, Django "
        "Channels, FastAPI + broadcaster and a raw websockets.broadcast ceiling, memory and "
        "Redis modes, alternating rounds. Prints a markdown report.",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run: seconds, tiny sizes")
    parser.add_argument("--subscribers", type=int, help="room size (200)")
    parser.add_argument("--windows", help="messages in flight, comma-separated (8,32,128)")
    parser.add_argument("--messages", type=int, help="messages per run at most (4000)")
    parser.add_argument("--max-seconds", type=float, help="publishing time per run at most (3)")
    parser.add_argument("--rate", type=float, help="fixed publish rate for latency, msg/s (10)")
    parser.add_argument("--rate-seconds", type=float, help="seconds per latency run (3)")
    parser.add_argument("--rounds", type=int, help="alternating rounds (3)")
    parser.add_argument(
        "--modes", default=",".join(PEER_MODES), help="memory, redis or both (memory,redis)"
    )
    parser.add_argument("--svg", type=Path, help="also write a bar chart (SVG) of msg/s here")
    parser.add_argument(
        "--servers",
        default=",".join(SERVER_NAMES),
        help="only these contenders, comma-separated; the generated service always runs "
        f"({','.join(SERVER_NAMES)})",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a fastgen checkout whose committed template (HEAD) also runs, as 'baseline', "
        "for a before/after side by side",
    )
    add_common_options(parser)
    args = parser.parse_args(argv)
    modes = args.modes.split(",")
    if not modes or any(mode not in PEER_MODES for mode in modes):
        parser.error(f"--modes takes {' and/or '.join(PEER_MODES)}, got {args.modes!r}")
    servers = args.servers.split(",")
    if any(name not in SERVER_NAMES for name in servers):
        parser.error(f"--servers takes {', '.join(SERVER_NAMES)}, got {args.servers!r}")
    if args.baseline is not None and "baseline" not in servers:
        servers.append("baseline")
    args.servers = servers
    return args


def add_common_options(parser: argparse.ArgumentParser) -> None:
    """The options every sub-command shares: report file, pinning, servers' log level."""
    parser.add_argument("--out", type=Path, help="also write the markdown report here")
    parser.add_argument("--server-cpu", type=int, default=0, help="CPU for the servers (0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="CPU for the client (1)")
    parser.add_argument("--no-pin", action="store_true", help="do not use taskset")
    parser.add_argument("--log-level", default="warning", help="servers' log level (warning)")


def parse_scale_args(argv: list[str]) -> argparse.Namespace:
    """``python -m bench scale``'s options."""
    parser = argparse.ArgumentParser(
        prog="python -m bench scale",
        description="N concurrent authenticated sessions in one process: time to connect, RSS "
        "per session (generated service and bare endpoint), fan-out to a room of N.",
    )
    parser.add_argument("--sessions", type=int, default=10_000, help="sessions (10000)")
    parser.add_argument("--messages", type=int, default=50, help="fan-out messages (50)")
    add_common_options(parser)
    return parser.parse_args(argv)


def main_clients(command: str, argv: list[str]) -> int:
    """``python -m bench herd`` and ``python -m bench client-receive``: the generated client."""
    herd = command == "herd"
    parser = argparse.ArgumentParser(
        prog=f"python -m bench {command}",
        description="N generated Python clients reconnect after a service restart: peak "
        "connects/s and time to resumed, with and without jitter."
        if herd
        else "The generated Python client's receive rate against a bare websockets loop.",
    )
    if herd:
        parser.add_argument("--clients", type=int, default=1000, help="clients (1000)")
    else:
        parser.add_argument("--messages", type=int, default=20000, help="messages (20000)")
    parser.add_argument("--rounds", type=int, default=3 if not herd else 1, help="rounds")
    add_common_options(parser)
    args = parser.parse_args(argv)
    pinning = pinning_of(args)
    with generated_project() as (workdir, project):
        if herd:
            body = run_herd(project, workdir, pinning, args.clients, args.rounds, args.log_level)
        else:
            body = run_client_receive(
                project, workdir, pinning, args.messages, args.rounds, args.log_level
            )
    return write_report([command, *argv], pinning, body, args.out)


def main_scale(argv: list[str]) -> int:
    """``python -m bench scale``: issue 18's part 3."""
    args = parse_scale_args(argv)
    pinning = pinning_of(args)
    with generated_project() as (workdir, project):
        specs = dict(server_specs(project, args.log_level, {}))
        specs["raw-broadcast"] = ServerSpec(
            "raw-broadcast", [sys.executable, "-m", "bench.peers.raw_broadcast"], REPO_ROOT
        )
        rows = run_scale(specs, pinning, workdir, args.sessions, args.messages)
    body = scale_table(rows, args.sessions, args.messages)
    return write_report(["scale", *argv], pinning, body, args.out)


@contextmanager
def generated_project() -> Iterator[tuple[Path, Path]]:
    """A temporary working folder with the production service generated in it."""
    with tempfile.TemporaryDirectory(prefix="fastgen-bench-") as tmp:
        workdir = Path(tmp)
        log("generating the production service from this checkout's template")
        yield workdir, generate_service(workdir)


def write_report(argv: list[str], pinning: Pinning, body: str, out: Path | None) -> int:
    """Print a sub-command's report (machine, command, body) and write it to `out` if given."""
    command = shlex.join(["python", "-m", "bench", *argv])
    report = f"Machine: {machine_description(pinning)}.\n\nCommand: `{command}`\n\n{body}"
    print(report)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report + "\n", encoding="utf-8")
    return 0


def fanout_sizes(args: argparse.Namespace) -> Sizes:
    """The preset, with what the command line set."""
    preset = PEERS_QUICK if args.quick else PEERS_FULL
    windows = tuple(int(w) for w in args.windows.split(",")) if args.windows else preset.windows
    pick = {
        name: getattr(args, name) if getattr(args, name) is not None else getattr(preset, name)
        for name in ("subscribers", "messages", "max_seconds", "rate", "rate_seconds", "rounds")
    }
    return Sizes(windows=windows, **pick)


def main_fanout(argv: list[str]) -> int:
    """``python -m bench fanout``: the peers' fan-out alone."""
    args = parse_fanout_args(argv)
    pinning = pinning_of(args)
    with generated_project() as (workdir, project):
        body = run_peer_fanout(
            workdir,
            project,
            fanout_sizes(args),
            pinning,
            args.log_level,
            args.modes.split(","),
            args.svg,
            args.servers,
            args.baseline,
        )
    return write_report(["fanout", *argv], pinning, body, args.out)


def pinning_of(args: argparse.Namespace) -> Pinning:
    """The CPUs the command line asked for (none with ``--no-pin``)."""
    if args.no_pin:
        return Pinning(None, None)
    return Pinning.detect(args.server_cpu, args.client_cpu)


def main(argv: list[str] | None = None) -> int:
    """Run the selected parts, print the report (and write it and the plot if asked)."""
    given = sys.argv[1:] if argv is None else argv
    if given[:1] == ["fanout"]:
        return main_fanout(given[1:])
    if given[:1] == ["scale"]:
        return main_scale(given[1:])
    if given[:1] in (["herd"], ["client-receive"]):
        return main_clients(given[0], given[1:])
    if given[:1] == ["capacity"]:
        return run_capacity(given[1:])
    if given[:1] == ["presence"]:
        return run_presence(given[1:])
    if given[:1] == ["permissions"]:
        return run_permissions(given[1:])
    if given[:1] == ["redis-parser"]:
        return run_redis_parser(given[1:])
    if given[:1] == ["redis-topologies"]:
        return run_redis_topologies(given[1:])
    args = parse_args(argv)
    pinning = pinning_of(args)
    command = shlex.join(["python", "-m", "bench", *given])
    ws: WsResults | None = None
    gen: GenResults | None = None
    fanout = ""
    with tempfile.TemporaryDirectory(prefix="fastgen-bench-") as tmp:
        workdir = Path(tmp)
        if not (args.skip_ws and args.skip_fanout and args.skip_peers):
            log("generating the production service from this checkout's template")
            project = generate_service(workdir)
        if not args.skip_fanout:
            log("timing room fan-out with history on and off")
            fanout = run_all(
                workdir, project, args.fanout_rounds, args.fanout_members, args.fanout_messages
            )
            for line in fanout.splitlines():
                if line.startswith(("History on", "Redis fan-out")):
                    log(line)
        if not args.skip_peers:
            log("timing room fan-out against the peers")
            peers = run_peer_fanout(
                workdir,
                project,
                PEERS_QUICK if args.quick else PEERS_FULL,
                pinning,
                args.log_level,
            )
            fanout = f"{fanout}\n\n{peers}" if fanout else peers
        if not args.skip_ws:
            extra_env = dict(p.split("=", 1) for p in args.gen_env)
            specs = server_specs(project, args.log_level, extra_env)
            if args.baseline is not None:
                before = baseline_service(workdir, args.baseline, "memory")
                specs["baseline"] = generated_spec("baseline", before, args.log_level, extra_env)
            ws = run_ws(
                specs,
                pinning,
                workdir,
                conns=args.conns,
                msgs=args.msgs,
                rounds=args.rounds,
                handshakes=args.handshakes,
                idle_sessions=args.idle_sessions,
                sweep_points=SWEEP_POINTS if args.plot else (),
                sweep_messages=args.sweep_messages,
                sweep_rounds=args.sweep_rounds,
            )
            log("timing the app layer alone, in process")
            ws.app_us = run_app_cost(specs, args.app_rounds, args.app_messages, pinning.server_cpu)
        if not args.skip_generator:
            log("timing the generator")
            gen = run_generator(args.help_runs, args.new_runs)
    settings = Settings(
        args.conns, args.msgs, args.rounds, args.handshakes, args.log_level, command
    )
    report = render(settings, pinning, ws, gen)
    if fanout:
        report = f"{report}\n{fanout}\n"
    print(report)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report + "\n", encoding="utf-8")
    if args.plot and ws is not None:
        plot(ws, args.plot, machine_description(pinning))
    return 0
