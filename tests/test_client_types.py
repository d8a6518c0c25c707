"""The clients' message types a generated project ships, and its command that rewrites them.

``python -m <package>.engine.client_types`` writes ``clients/python/<package>_client/
messages.py`` and ``clients/typescript/src/messages.ts`` from the models of the AsyncAPI
document. The template ships both as the command writes them for the default handlers:
after a change to a built-in model, regenerate them from a generated project (the
package name becomes ``{{ package_name }}``) into ``template/clients/``.
"""

import itertools
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fastgen.add_handler import add_handler
from fastgen.generate import new_project
from tests.conftest import choices_of, run

pytestmark = [pytest.mark.e2e, pytest.mark.full]

FILES = [Path("clients/python/proj_client/messages.py"), Path("clients/typescript/src/messages.ts")]
COMMAND = [sys.executable, "-m", "proj.engine.client_types"]
COMBINATIONS = list(itertools.product(choices_of("auth"), choices_of("broadcast")))

# A client typed by the generated interfaces: narrowing on `status` and `type` must work.
CONSUMER_TS = """
import { ClientMessage, ServiceFrame, MessageType } from "./messages";

export const join: ClientMessage = { type: "join", room: "r", since: { offset: 4, epoch: "e" } };
export const kinds: MessageType[] = ["chat", "ping", "refresh"];

export function describe(frame: ServiceFrame): string {
  if ("status" in frame) {
    return frame.status === 42901 ? `slow down (${frame.id ?? "-"})` : frame.message;
  }
  switch (frame.type) {
    case "chat":
      return `${frame.from}: ${frame.text} @${frame.offset}`;
    case "pong":
      return `every ${frame.heartbeat} s`;
    case "refreshed":
      return String(frame.expires_at);
    default:
      return frame.type;
  }
}
"""


@pytest.mark.parametrize(("auth", "broadcast"), COMBINATIONS, ids=map("-".join, COMBINATIONS))
def test_the_template_ships_what_the_command_writes(
    tmp_path: Path, auth: str, broadcast: str
) -> None:
    project = new_project(
        tmp_path / "proj", service="chat-dev", data=[f"auth={auth}", f"broadcast={broadcast}"]
    ).dest
    written = tmp_path / "written"
    run([*COMMAND, "--root", written], project)
    for path in FILES:
        shipped = (project / path).read_text(encoding="utf-8")
        assert shipped == (written / path).read_text(encoding="utf-8"), (
            f"template/{path} is not what the command writes now: regenerate it (see this "
            "module's docstring)"
        )
    run([*COMMAND, "--check"], project)


def test_check_fails_with_one_line_after_a_handler_is_added(tmp_path: Path) -> None:
    project = new_project(tmp_path / "proj", service="chat-dev").dest
    add_handler("get_score", project)
    stale = subprocess.run(
        [*COMMAND, "--check"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert stale.returncode == 1
    assert stale.stderr.strip() == (
        f"{FILES[0].as_posix()} and {FILES[1].as_posix()} out of date: "
        "run python -m proj.engine.client_types"
    )
    run(COMMAND, project)
    python, typescript = ((project / path).read_text(encoding="utf-8") for path in FILES)
    assert "class GetScoreMessage(TypedDict):" in python
    assert "class GetScoreReply(TypedDict):" in python
    assert "export interface GetScoreMessage {" in typescript
    assert '"get_score"' in typescript.split("export type MessageType =")[1]
    run([*COMMAND, "--check"], project)


def test_the_typescript_types_pass_tsc_strict(tmp_path: Path, node_modules: Path) -> None:
    project = new_project(tmp_path / "proj", service="chat-dev").dest
    work = tmp_path / "ts"
    work.mkdir()
    shutil.copy2(project / FILES[1], work / "messages.ts")
    (work / "consumer.ts").write_text(CONSUMER_TS, encoding="utf-8")
    node = shutil.which("node")
    assert node is not None  # the node_modules fixture checked
    tsc = node_modules / "typescript" / "bin" / "tsc"
    checked = subprocess.run(
        [node, tsc, "--strict", "--noEmit", "--target", "es2020", "messages.ts", "consumer.ts"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
