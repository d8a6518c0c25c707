"""Generated services run for real in fastgen's tests: ``python -m <package>`` on loopback."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

STARTUP_TIMEOUT = 30.0
# The caller's own settings must not leak into the service under test.
SERVICE_PREFIXES = (
    "SERVICE_NAME", "DEBUG", "AUTH_TOKENS", "JWT_", "PORT", "HOST", "LOG_", "ROOMS_", "PUBLISH_"
)  # fmt: skip


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_service(project: Path, log: Path, **env: str) -> Iterator[int]:
    """``python -m <package>`` in `project` (its folder name) with `env`.

    Yields the port once ``/api/health`` answers 200; stops the process (bounded) after.
    """
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_PREFIXES)}
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", project.name],
            cwd=project,
            env={**clean, **env, "PORT": str(port), "PYTHONDONTWRITEBYTECODE": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/api/health", process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until_healthy(
    url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = STARTUP_TIMEOUT
) -> None:
    """Poll `url` until it answers 200; fail with the log if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the service exited {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    pytest.fail(f"the service did not answer {url} within {timeout} s:\n{log.read_text()}")


def stop_process_group(shell: subprocess.Popen[bytes]) -> None:
    """Stop a shell started in a session of its own, and everything it started, bounded."""
    os.killpg(shell.pid, signal.SIGTERM)
    try:
        shell.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(shell.pid, signal.SIGKILL)
        shell.wait(timeout=10)
