"""Part 2: how fast the generator is, measured as a user runs it (fresh processes).

``fastgen --help`` is timed on its own; ``fastgen new`` is timed against a plain
``copier copy`` of the same template with the same answers, in alternating runs.
Both run this checkout's code (``PYTHONPATH`` points at its ``generator/``).
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.servers import GENERATOR_DIR, REPO_ROOT

RUN_TIMEOUT = 120.0
SERVICE = "chat"


@dataclass(frozen=True)
class GenResults:
    """Wall times in seconds, one per run."""

    help_s: list[float]
    fastgen_new_s: list[float]
    copier_copy_s: list[float]
    # The untimed-for-the-ratio first runs: fastgen's builds its template-history cache
    # (once per template content), both warm the file cache.
    first_new_s: float = 0.0
    first_copy_s: float = 0.0


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(GENERATOR_DIR), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def timed(argv: Sequence[str | Path], cwd: Path) -> float:
    """Wall time of one command that must succeed.

    Raises:
        RuntimeError: it failed or ran longer than ``RUN_TIMEOUT``.
    """
    started = time.perf_counter()
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} failed:\n{done.stderr[-3000:]}")
    return elapsed


def fastgen_new_argv(dest: Path) -> list[str | Path]:
    """``fastgen new DEST --service chat --defaults --no-git`` (as ``python -m fastgen``).

    ``--no-git``: a plain ``copier copy`` makes no repository, so both sides time the
    generation alone (the first commit ``fastgen new`` makes by default is git's work).
    """
    argv: list[str | Path] = [sys.executable, "-m", "fastgen", "new", dest, "--service", SERVICE]
    return [*argv, "--defaults", "--no-git"]


def copier_copy_argv(dest: Path) -> list[str | Path]:
    """The plain Copier command giving the same answers from the same template and ref.

    fastgen renders a git checkout at ``HEAD`` (its working tree), so Copier gets that too.
    """
    vcs = ["--vcs-ref", "HEAD"] if (REPO_ROOT / ".git").exists() else []
    return [
        sys.executable,
        "-m",
        "copier",
        "copy",
        "--quiet",
        "--defaults",
        *vcs,
        "--data",
        f"project_name={dest.name}",
        "--data",
        f"service_name={SERVICE}",
        REPO_ROOT,
        dest,
    ]


def run_generator(help_runs: int, new_runs: int) -> GenResults:
    """Time ``fastgen --help`` `help_runs` times and new-vs-copier `new_runs` times each."""
    help_s = [
        timed([sys.executable, "-m", "fastgen", "--help"], REPO_ROOT) for _ in range(help_runs)
    ]
    fastgen_s: list[float] = []
    copier_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="fastgen-bench-gen-") as tmp:
        workdir = Path(tmp)
        first = {
            tool: timed(argv(workdir / f"{tool}_first"), workdir)
            for tool, argv in (("fastgen", fastgen_new_argv), ("copier", copier_copy_argv))
        }
        for index in range(new_runs):
            # Alternate which goes first, so neither always gets the warmer file cache.
            pairs = [("fastgen", fastgen_s), ("copier", copier_s)]
            for tool, bucket in pairs if index % 2 == 0 else reversed(pairs):
                dest = workdir / f"{tool}_{index}"
                argv = fastgen_new_argv(dest) if tool == "fastgen" else copier_copy_argv(dest)
                bucket.append(timed(argv, workdir))
                shutil.rmtree(dest)
    return GenResults(help_s, fastgen_s, copier_s, first["fastgen"], first["copier"])
