"""Done when: from a fresh venv and no clone, fastgen's README then the generated README lead
to a running service that answers ``GET /api/health`` and a chat message over ``/ws/chat``.

Every command is copied from the two READMEs, none added: fastgen's ``## Quick start``
block 1, then the generated README's first ```bash block under its ``## Quick start``
heading, run from the project folder (its last line starts the service). The canonical source
URL is served from this checkout by git's URL rewriting, so the package index is the only
network. The environment sets only PORT (a free port) and the rewrite rule.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from websockets.sync.client import connect

from tests.conftest import REPO_ROOT, require_package_index
from tests.readme_blocks import section_blocks
from tests.services import (
    SERVICE_PREFIXES,
    free_port,
    stop_process_group,
    wait_until_healthy,
)

CANONICAL_HTTPS = "https://github.com/fastgen-dev/fastgen"
# Install fastgen from git, a bare-venv install of the project, its tests: minutes.
SHELL_TIMEOUT = 1200

pytestmark = [pytest.mark.e2e, pytest.mark.full]


def rewrite_to_checkout(env: dict[str, str]) -> dict[str, str]:
    """`env` plus a git rule serving the canonical URL from this checkout (after any rules)."""
    index = int(env.get("GIT_CONFIG_COUNT", "0") or 0)
    return env | {
        "GIT_CONFIG_COUNT": str(index + 1),
        f"GIT_CONFIG_KEY_{index}": f"url.{REPO_ROOT}.insteadOf",
        f"GIT_CONFIG_VALUE_{index}": CANONICAL_HTTPS,
    }


def bash(lines: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """The lines as one bash script (stops at the first failing line), in its own group."""
    with log.open("ab") as output:
        return subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", "\n".join(lines)],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def test_from_nothing_to_a_running_service_by_the_readmes(tmp_path: Path) -> None:
    require_package_index()
    fastgen_block = section_blocks((REPO_ROOT / "README.md").read_text("utf-8"), "Quick start")[0]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_PREFIXES)}
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)
    env = rewrite_to_checkout(env) | {"PORT": str(port)}
    log = tmp_path / "log"
    home = tmp_path / "nothing"
    home.mkdir()

    installing = bash(fastgen_block, home, env, log)
    assert installing.wait(timeout=SHELL_TIMEOUT) == 0, log.read_text("utf-8")
    (project,) = [path for path in home.iterdir() if (path / ".copier-answers.yml").is_file()]
    generated = (project / "README.md").read_text("utf-8")
    project_block = section_blocks(generated, "Quick start")[0]

    service = bash(project_block, project, env, log)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/api/health", service, log, SHELL_TIMEOUT)
        token = re.search(r"/ws/chat\?token=([\w-]+)", generated)
        assert token, "the generated README shows no /ws/chat URL with a token"
        url = f"ws://127.0.0.1:{port}/ws/chat?token={token.group(1)}"
        with connect(url, open_timeout=10) as ws:
            ws.send(json.dumps({"type": "join", "room": "lobby"}))
            assert json.loads(ws.recv(timeout=10))["type"] == "joined"
            ws.send(json.dumps({"type": "chat", "room": "lobby", "text": "hello"}))
            reply = json.loads(ws.recv(timeout=10))
            assert (reply["type"], reply["text"]) == ("chat", "hello")
    finally:
        stop_process_group(service)
