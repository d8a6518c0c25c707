"""The three servers under test, as subprocesses pinned to a core, and the client runs.

Every server gets the same uvicorn flags (where it runs under uvicorn): the
websockets-sansio backend (uvicorn 0.54's ``--ws auto``), per-message-deflate off,
no access log, one log level. Every process is started with a hard timeout and stopped
on the way out, whatever happens.
"""

import contextlib
import json
import os
import resource
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
GENERATOR_DIR = REPO_ROOT / "generator"

# "baseline" runs only with ``--baseline``: the service generated from another checkout.
SERVER_KEYS = ("generated", "baseline", "bare", "raw")
LABELS = {
    "generated": "generated service",
    "baseline": "generated service, baseline",
    "bare": "bare FastAPI endpoint",
    "raw": "raw websockets",
}
BENCH_TOKEN = "bench-token"
TARGET = f"/ws/chat?token={BENCH_TOKEN}"
GENERATED_SERVICE = "chat"  # no "dev"/"test": the production configuration
GENERATED_PACKAGE = "chat_bench"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


def uvicorn_flags(log_level: str) -> list[str]:
    """The uvicorn command-line flags every uvicorn-served contender gets."""
    return [
        "--host",
        "127.0.0.1",
        "--ws",
        "websockets-sansio",
        "--ws-per-message-deflate",
        "false",
        "--no-access-log",
        "--log-level",
        log_level,
        "--lifespan",
        "on",
    ]


@dataclass(frozen=True)
class Pinning:
    """Which CPU the servers and the client run on (None: no pinning)."""

    server_cpu: int | None
    client_cpu: int | None

    @classmethod
    def detect(cls, server_cpu: int = 0, client_cpu: int = 1) -> "Pinning":
        """Pin to the given CPUs when ``taskset`` exists and there are at least two."""
        if shutil.which("taskset") and len(os.sched_getaffinity(0)) >= 2:
            return cls(server_cpu, client_cpu)
        return cls(None, None)

    @staticmethod
    def prefix(cpu: int | None) -> list[str]:
        """``taskset -c CPU`` (it execs, so the pid stays the server's), or nothing."""
        return [] if cpu is None else ["taskset", "-c", str(cpu)]

    def describe(self) -> str:
        """One phrase for the report."""
        if self.server_cpu is None:
            return "no CPU pinning (taskset or a second CPU missing)"
        return f"servers pinned to CPU {self.server_cpu}, client to CPU {self.client_cpu}"


@dataclass(frozen=True)
class ServerSpec:
    """How to start one contender."""

    key: str
    argv: Sequence[str]
    cwd: Path
    env: Mapping[str, str] = field(default_factory=dict)
    port_flag: str = "--port"
    # ``module:attribute`` of the ASGI app, for the servers that run one under uvicorn.
    asgi_app: str | None = None


def generate_service(workdir: Path) -> Path:
    """Generate the production service from this checkout's template; return its folder."""
    return generate_once(workdir / GENERATED_PACKAGE)


def generate_once(
    dest: Path, data: Sequence[str] = (), src: str | None = None, vcs_ref: str | None = None
) -> Path:
    """The production service at `dest`, generated unless a part of this run already did.

    `data` are template answers (e.g. ``broadcast=redis``); `src` and `vcs_ref` pick another
    template than this checkout's working tree (e.g. another checkout at ``HEAD``).
    """
    if dest.exists():
        return dest
    if str(GENERATOR_DIR) not in sys.path:
        sys.path.insert(0, str(GENERATOR_DIR))
    from fastgen.generate import new_project

    project = new_project(
        dest,
        service=GENERATED_SERVICE,
        package=GENERATED_PACKAGE,
        data=data,
        src=src,
        vcs_ref=vcs_ref,
    )
    return project.dest


def engine_module(project: Path, name: str) -> str:
    """`name`'s module path in the generated package: under ``engine`` since that layout.

    A ``--baseline`` checkout may predate it, when the engine's modules sat in the package.
    """
    package = project / GENERATED_PACKAGE
    flat = package.is_dir() and not (package / "engine").is_dir()
    return name if flat else f"engine.{name}"


def generated_spec(
    key: str, project: Path, log_level: str, extra_env: Mapping[str, str]
) -> ServerSpec:
    """A generated service (in `project`) under uvicorn, as its entry point runs it.

    ``python -m <package>``, the service's one entry point, runs uvicorn with the
    service's subclasses of the same backends (``protocols.py``: the deadlines uvicorn
    lacks, and the text-frame writer of the room fan-out); the benchmark measures them.
    The other flags are every contender's (`uvicorn_flags`).
    """
    flags = uvicorn_flags(log_level)
    protocols = f"{GENERATED_PACKAGE}.{engine_module(project, 'protocols')}"
    flags[flags.index("--ws") + 1] = f"{protocols}:SendTimeoutWebSocketProtocol"
    flags += ["--http", f"{protocols}:HandshakeTimeoutHTTPProtocol"]
    app = f"{GENERATED_PACKAGE}.main:app"
    env = {
        "SERVICE_NAME": GENERATED_SERVICE,
        "AUTH_TOKENS": json.dumps({BENCH_TOKEN: "bench-user"}),
        # The app configures logging itself: give it the level uvicorn gets.
        "LOG_LEVEL": log_level.upper(),
        # Every limit stays switched on, set above what the clients send, so the
        # benchmarks measure the checks' cost, not the limiter refusing work.
        "MAX_MESSAGES_PER_SECOND": "1000000",
        "MAX_CONNECTIONS": "100000",
        # It runs the engine's protocol classes, as `python -m` would (engine/fence.py).
        "FASTGEN_SERVED_BY": "engine",
        **extra_env,
    }
    argv = [sys.executable, "-m", "uvicorn", app, *flags]
    return ServerSpec(key, argv, project, env, asgi_app=app)


def server_specs(
    project: Path, log_level: str, generated_env: Mapping[str, str]
) -> dict[str, ServerSpec]:
    """The generated service, the bare endpoint and the raw server, ready to start."""
    python = sys.executable
    flags = uvicorn_flags(log_level)
    generated = generated_spec("generated", project, log_level, generated_env)
    bare_app = "bench.bare_app:app"
    bare = ServerSpec(
        "bare", [python, "-m", "uvicorn", bare_app, *flags], REPO_ROOT, asgi_app=bare_app
    )
    raw = ServerSpec("raw", [python, "-m", "bench.raw_server"], REPO_ROOT)
    return {"generated": generated, "bare": bare, "raw": raw}


def process_cpu_seconds(pid: int) -> float:
    """User plus system CPU time process `pid` has used so far (from ``/proc/<pid>/stat``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _raise_nofile_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@dataclass
class RunningServer:
    """A started contender: its process, port and log file."""

    spec: ServerSpec
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def rss_kib(self) -> int:
        """The server's resident memory (VmRSS) in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for pid {self.process.pid}")

    def cpu_seconds(self) -> float:
        """User plus system CPU time the server process has used so far."""
        return process_cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 20) -> str:
        """The last lines of the server's output, for error messages."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""


@contextlib.contextmanager
def running(
    spec: ServerSpec, pinning: Pinning, logdir: Path, port: int | None = None
) -> Iterator[RunningServer]:
    """Start `spec` on `port` (default: a free one), wait until it listens, always stop it.

    Raises:
        RuntimeError: it exited or did not listen within ``START_TIMEOUT`` seconds.
    """
    port = free_port() if port is None else port
    log = logdir / f"{spec.key}-{port}.log"
    argv = [*Pinning.prefix(pinning.server_cpu), *spec.argv, spec.port_flag, str(port)]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **spec.env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=spec.cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_raise_nofile_limit,
            start_new_session=True,
        )
    server = RunningServer(spec, process, port, log)
    try:
        _wait_listening(server)
        yield server
    finally:
        _stop(process)


def _wait_listening(server: RunningServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"{server.spec.key} server exited with {server.process.returncode}:\n"
                + server.log_tail()
            )
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", server.port), timeout=1),
        ):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{server.spec.key} server not listening after {START_TIMEOUT:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)


def client_argv(mode: str, port: int, pinning: Pinning, **options: object) -> list[str]:
    """The command line of one client run (``python -m bench.client MODE ...``)."""
    argv = [
        *Pinning.prefix(pinning.client_cpu),
        sys.executable,
        "-m",
        "bench.client",
        mode,
        "--port",
        str(port),
        "--target",
        TARGET,
    ]
    return argv + option_args(options)


def option_args(options: Mapping[str, object]) -> list[str]:
    """``--some-name value`` for each ``some_name=value``."""
    argv: list[str] = []
    for name, value in options.items():
        argv += [f"--{name.replace('_', '-')}", str(value)]
    return argv


def run_client(
    mode: str, port: int, pinning: Pinning, timeout: float, **options: object
) -> dict[str, Any]:
    """Run the client to completion and return its JSON result.

    Raises:
        RuntimeError: the client failed or gave no result within `timeout` seconds.
    """
    return run_json(client_argv(mode, port, pinning, **options), timeout, f"client {mode}")


def run_json(argv: Sequence[str], timeout: float, what: str) -> dict[str, Any]:
    """Run a client process to completion and return the JSON of its last output line.

    Raises:
        RuntimeError: it failed or gave no result within `timeout` seconds.
    """
    try:
        done = subprocess.run(
            argv,
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            preexec_fn=_raise_nofile_limit,
        )
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"{what} still running after {timeout} s") from exc
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _read_line(stream: IO[str], timeout: float) -> str:
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise RuntimeError(f"no answer from the client within {timeout} s")
    return stream.readline()


@dataclass(frozen=True)
class IdleSessions:
    """A server's RSS before and after opening idle sessions, and how long opening took."""

    before_kib: int
    after_kib: int
    connect_s: float


def idle_growth_kib(
    server: RunningServer, sessions: int, pinning: Pinning, timeout: float
) -> tuple[int, int]:
    """RSS of `server` before and after `sessions` idle authenticated sessions (KiB)."""
    idle = idle_sessions(server, sessions, pinning, timeout)
    return idle.before_kib, idle.after_kib


def idle_sessions(
    server: RunningServer, sessions: int, pinning: Pinning, timeout: float
) -> IdleSessions:
    """Open `sessions` idle authenticated sessions on `server`: RSS before and after, time taken.

    The client opens them all (each proves its token with one echo), reports, and holds
    them until it is told to close.

    Raises:
        RuntimeError: the client failed or did not get every session open in time.
    """
    run_client("echo", server.port, pinning, timeout, conns=10, msgs=20)  # warm the code paths
    time.sleep(0.5)
    before = server.rss_kib()
    argv = client_argv("idle", server.port, pinning, conns=sessions, hold=timeout)
    with subprocess.Popen(
        argv,
        cwd=REPO_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_raise_nofile_limit,
    ) as client:
        assert client.stdin is not None
        assert client.stdout is not None
        try:
            line = _read_line(client.stdout, timeout)
            if not line:
                raise RuntimeError(f"idle client failed:\n{client.communicate(timeout=5)[1]}")
            time.sleep(0.5)  # let the server settle (buffers, lazily grown tables)
            after = server.rss_kib()
            client.stdin.write("\n")
            client.stdin.flush()
            client.wait(timeout)
        finally:
            if client.poll() is None:
                client.kill()
    return IdleSessions(before, after, float(json.loads(line).get("connect_s", 0.0)))
