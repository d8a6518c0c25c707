"""Ctrl-C at an interactive prompt of `fastgen new`, for real: a terminal, a prompt, a ^C."""

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fastgen.exit_codes import ExitCode

pytestmark = pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")

DEADLINE = 60.0
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def read_until(master: int, wanted: bytes, deadline: float) -> bytes:
    """Read the terminal's output until `wanted` appears (or the deadline passes)."""
    seen = b""
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_ctrl_c_at_a_prompt_aborts_cleanly(tmp_path: Path) -> None:
    master, slave = os.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
    child = subprocess.Popen(
        [sys.executable, "-m", "fastgen", "new", tmp_path / "proj"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    deadline = time.monotonic() + DEADLINE
    try:
        before = read_until(master, b"Service name", deadline)
        assert b"Service name" in before, before.decode(errors="replace")
        os.write(master, b"\x03")  # the terminal turns ^C into the prompt's interrupt
        after = read_until(master, b"nothing was written", deadline)
        returncode = child.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
        os.close(master)
    text = ANSI_ESCAPE.sub("", after.decode(errors="replace"))
    assert returncode == ExitCode.INTERRUPTED, text
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[-1] == "error: aborted; nothing was written", text
    # Copier's own report dumps every answer given so far; none of it may show.
    assert "AnswersMap" not in text
    assert "Traceback" not in text
    assert list(tmp_path.iterdir()) == []
