"""The capacity benchmark's processes: /proc readings, the load fleet, the probe, Redis stats.

Pure parsers (``/proc/<pid>/stat`` and ``status``, Redis ``INFO``) sit beside the code
that drives the processes, so the tests can check them on fixed text.
"""

import contextlib
import json
import os
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from bench.servers import REPO_ROOT, Pinning, _raise_nofile_limit

FLEET_TIMEOUT = 600.0
PROBE_TIMEOUT = 60.0


@dataclass(frozen=True)
class ProcStat:
    """What the capacity bench reads from ``/proc/<pid>/stat``."""

    ppid: int
    cpu_ticks: int  # user + system, in clock ticks


def parse_stat(text: str) -> ProcStat:
    """Parse ``/proc/<pid>/stat``; the command name (field 2) may hold spaces and parentheses.

    Raises:
        ValueError: the text is not a stat line.
    """
    close = text.rfind(")")
    if close < 0:
        raise ValueError(f"not a /proc stat line: {text[:80]!r}")
    fields = text[close + 2 :].split()
    # After the name: state(3) ppid(4) ... utime(14) stime(15), numbered from 1 at pid.
    return ProcStat(int(fields[1]), int(fields[11]) + int(fields[12]))


def parse_vmrss_kib(text: str) -> int:
    """The ``VmRSS`` line of ``/proc/<pid>/status``, in KiB.

    Raises:
        ValueError: there is none (e.g. a zombie).
    """
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError("no VmRSS line")


def parse_schedstat_ns(text: str) -> int:
    """The time on CPU in ``/proc/<pid>/task/<tid>/schedstat`` (its first field), in ns."""
    return int(text.split()[0])


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU seconds every thread of the processes `pids` has run (gone ones count 0).

    From ``schedstat``, in nanoseconds: ``stat``'s clock ticks (10 ms) are too coarse for
    one message's fan-out.
    """
    nanoseconds = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{pid}/task").iterdir():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    nanoseconds += parse_schedstat_ns((task / "schedstat").read_text())
    return nanoseconds / 1e9


def rss_kib(pids: Sequence[int]) -> int:
    """The processes' resident memory added up, in KiB (gone ones count 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            total += parse_vmrss_kib(Path(f"/proc/{pid}/status").read_text())
    return total


def process_tree(root: int) -> list[int]:
    """`root` and every process descended from it (one scan of ``/proc``)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                parents[int(entry.name)] = parse_stat((entry / "stat").read_text()).ppid
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree += frontier
    return tree


def parse_info(text: str) -> dict[str, dict[str, float] | float]:
    """Redis ``INFO`` text: ``cmdstat_x:calls=1,usec=2`` → ``{"x": {"calls": 1, ...}}``,
    ``key:number`` → ``{"key": number}``; comments and other values are left out."""
    parsed: dict[str, dict[str, float] | float] = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition(":")
        if not sep or key.startswith("#"):
            continue
        if key.startswith("cmdstat_"):
            pairs = (item.partition("=") for item in value.split(","))
            stats = {}
            for name, _, number in pairs:
                with contextlib.suppress(ValueError):
                    stats[name] = float(number)
            parsed[key.removeprefix("cmdstat_")] = stats
        else:
            with contextlib.suppress(ValueError):
                parsed[key] = float(value)
    return parsed


def number(info: dict[str, dict[str, float] | float], key: str) -> float:
    """A plain number of a `parse_info` result (0 when missing)."""
    value = info.get(key, 0.0)
    return value if isinstance(value, float) else 0.0


def redis_info(port: int) -> dict[str, dict[str, float] | float]:
    """``INFO stats`` and ``INFO commandstats`` of the redis-server on `port`, parsed."""
    text = ""
    for section in ("stats", "commandstats"):
        done = subprocess.run(
            ["redis-cli", "-p", str(port), "info", section],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        text += done.stdout
    return parse_info(text)


def command_rates(
    before: dict[str, Any], after: dict[str, Any], seconds: float
) -> dict[str, float]:
    """Calls per second of each Redis command between two `parse_info` results."""
    rates = {}
    for name, stats in after.items():
        if isinstance(stats, dict):
            earlier = before.get(name, {}).get("calls", 0.0)
            calls = stats.get("calls", 0.0) - earlier
            if calls > 0:
                rates[name] = calls / seconds
    return dict(sorted(rates.items(), key=lambda item: -item[1]))


class LoadProcess:
    """One ``python -m bench.capacity_client hold`` process, spoken to by JSON lines."""

    def __init__(self, port: int, first: int, count: int, cpu: int | None) -> None:
        argv = [*Pinning.prefix(cpu), sys.executable, "-m", "bench.capacity_client", "hold"]
        argv += ["--port", str(port), "--first", str(first), "--count", str(count)]
        self.first, self.count = first, count
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by `stop`)
        self.process = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # A file, not a pipe: a pipe nobody reads would block the client once full.
            stderr=self._errors,
            text=True,
            preexec_fn=_raise_nofile_limit,
        )
        self._next_id = 0
        self._early: dict[int, dict[str, Any]] = {}
        self._pending = b""

    def send(self, cmd: str, **options: object) -> int:
        """Send a command; returns its id, for `reply`."""
        self._next_id += 1
        stdin: IO[str] | None = self.process.stdin
        assert stdin is not None
        stdin.write(json.dumps({"id": self._next_id, "cmd": cmd, **options}) + "\n")
        stdin.flush()
        return self._next_id

    def reply(self, command_id: int, timeout: float = FLEET_TIMEOUT) -> dict[str, Any]:
        """The answer to command `command_id` (others that come first are kept for later).

        Raises:
            RuntimeError: the process ended, answered with an error, or took too long.
        """
        deadline = time.monotonic() + timeout
        while command_id not in self._early:
            line = self._read_line(deadline)
            if line is None:
                self.process.wait(5)
                self._errors.seek(0)
                err = self._errors.read().decode(errors="replace")
                raise RuntimeError(f"load client exited:\n{err[-2000:]}")
            answer = json.loads(line)
            self._early[answer["id"]] = answer
        answer = self._early.pop(command_id)
        if "error" in answer:
            raise RuntimeError(f"load client: {answer['error']}")
        return answer

    def _read_line(self, deadline: float) -> bytes | None:
        """The next line of the client's output (None at its end), read from the raw pipe.

        Not through the text stream: its buffer could hold a line that `select` never sees.

        Raises:
            RuntimeError: no line by `deadline`.
        """
        stdout: IO[str] | None = self.process.stdout
        assert stdout is not None
        fd = stdout.fileno()
        while b"\n" not in self._pending:
            ready, _, _ = select.select([fd], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                raise RuntimeError("no answer from the load client in time")
            chunk = os.read(fd, 1 << 16)
            if not chunk:
                return None
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def ask(self, cmd: str, **options: object) -> dict[str, Any]:
        """Send a command and wait for its answer."""
        return self.reply(self.send(cmd, **options))

    def stop(self) -> None:
        """Ask it to close its sessions and exit; kill it if it does not in time."""
        if self.process.poll() is None:
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                self.reply(self.send("quit"), timeout=60)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._errors.close()


def slices(sessions: int, processes: int) -> list[tuple[int, int]]:
    """``(first, count)`` of each load process: `sessions` split as evenly as can be."""
    base, extra = divmod(sessions, processes)
    out, first = [], 0
    for number in range(processes):
        count = base + (number < extra)
        out.append((first, count))
        first += count
    return out


@contextlib.contextmanager
def load_fleet(
    port: int, sessions: int, processes: int, cpu: int | None
) -> Iterator[list[LoadProcess]]:
    """`processes` load clients sharing `sessions`; always stopped on the way out."""
    fleet = [LoadProcess(port, first, count, cpu) for first, count in slices(sessions, processes)]
    try:
        yield fleet
    finally:
        for member in fleet:
            member.stop()


def ask_all(fleet: Sequence[LoadProcess], cmd: str, **options: object) -> list[dict[str, Any]]:
    """Send `cmd` to every load process at once, then collect their answers."""
    ids = [member.send(cmd, **options) for member in fleet]
    return [member.reply(command_id) for member, command_id in zip(fleet, ids, strict=True)]


def ask_probe(out: Path, command: str, timeout: float = PROBE_TIMEOUT) -> dict[str, Any]:
    """Ask the service's probe (`bench.service_probe`) and wait for its answer.

    Raises:
        RuntimeError: no answer within `timeout` seconds.
    """
    with contextlib.suppress(FileNotFoundError):
        out.unlink()
    out.with_name(out.name + ".request").write_text(command)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
            answer: dict[str, Any] = json.loads(out.read_text())
            if answer.get("command") == command:
                return answer
        time.sleep(0.1)
    raise RuntimeError(f"the service's probe did not answer {command!r} in {timeout} s")
