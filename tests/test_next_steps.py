"""``fastgen new``'s ``Next:`` lines, run exactly as printed: a venv, install, test, run."""

import os
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner
from websockets.sync.client import connect

from fastgen.cli import app
from fastgen.next_steps import next_steps
from tests.conftest import require_package_index
from tests.services import (
    SERVICE_PREFIXES,
    free_port,
    stop_process_group,
    wait_until_healthy,
)

# Bare-venv install from the package index, then the project's suite: minutes, not seconds.
SHELL_TIMEOUT = 900


def printed_next_steps(stdout: str) -> list[str]:
    """The command lines under ``Next:`` in `fastgen new`'s output."""
    lines = stdout.splitlines()
    start = lines.index("Next:") + 1
    return [line.strip() for line in lines[start:] if line.startswith("  ")]


def bash(script: str, cwd: Path, env: dict[str, str], **popen: object) -> subprocess.Popen[bytes]:
    """Start `script` in a bash of its own process group (the service spawns a reloader)."""
    return subprocess.Popen(  # type: ignore[call-overload, no-any-return]
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        **popen,
    )


def clean_environment() -> dict[str, str]:
    """The caller's environment minus its venv and the service's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_PREFIXES)}
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return env


def test_next_steps_create_a_venv_then_install_test_and_run() -> None:
    steps = next_steps(Path("/tmp/my chat"), "chat")
    assert steps[0] == "cd '/tmp/my chat'"
    assert steps[1].startswith("python3 -m venv .venv && . .venv/bin/activate")
    assert steps[-1] == "python -m chat --reload"


@pytest.mark.e2e
@pytest.mark.full
def test_next_lines_run_verbatim_to_a_running_service(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["new", str(tmp_path / "svc"), "-s", "chat-dev"])
    assert result.exit_code == 0, result.stdout + result.stderr
    steps = printed_next_steps(result.stdout)
    assert steps == next_steps(tmp_path / "svc", "svc")
    require_package_index()
    port = free_port()
    env = clean_environment() | {"PORT": str(port), "PYTHONDONTWRITEBYTECODE": "1"}
    log = tmp_path / "log"
    with log.open("wb") as output:
        shell = bash("\n".join(steps), tmp_path, env, stdout=output, stderr=output)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/api/health", shell, log, SHELL_TIMEOUT)
        assert " passed" in log.read_text(encoding="utf-8")  # the project's own tests ran
        with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10) as ws:
            ws.send("hi")
            assert ws.recv(timeout=10).endswith("hi")
    finally:
        stop_process_group(shell)
    assert (tmp_path / "svc" / ".venv" / "bin" / "python").is_file()
