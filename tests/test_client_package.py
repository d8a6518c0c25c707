"""A generated project's clients, as another application gets them: one command builds both.

``python -m <package>.engine.client_dist`` writes the Python wheel and the npm tarball,
versioned with the service. Each is installed in another folder, with nothing of the
project, and talks to the running service.
"""

import json
import shutil
import subprocess
import sys
import tomllib
import venv
from dataclasses import dataclass
from pathlib import Path

import pytest

from fastgen.generate import new_project
from tests.conftest import REPO_ROOT, require_package_index, run
from tests.readme_blocks import section_blocks
from tests.services import running_service

pytestmark = [pytest.mark.e2e, pytest.mark.full]

# A version of the project's own, so the artifacts can only carry it by reading pyproject.toml.
VERSION = "1.2.3"
TOKENS = '{"app-token": "app"}'
NO_NPM = 4  # the command's exit code when only the wheel could be built
WAIT_MS = 60_000  # each application gives up (and fails) after this long

# An application of someone else's: nothing of the service, only the client's wheel.
PYTHON_APPLICATION = """
import asyncio
import sys

from {package}_client import Client, __version__


async def main(url: str, token: str) -> None:
    async with Client(url, token=token) as client:
        room = await client.join("lobby")
        ack = await room.publish("hello from elsewhere")
        async for frame in room:
            assert frame["text"] == "hello from elsewhere", frame
            assert (frame["offset"], frame["epoch"]) == (ack.offset, ack.epoch), frame
            print("received", ack.offset, __version__)
            return


asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2]), {wait_ms} / 1000))
"""

# The same in Node 20, from the tarball: `ws` stands in for the WebSocket Node 22 has built in.
NODE_APPLICATION = """
import { readFileSync } from "node:fs";
import { WebSocket } from "ws";
import { Client } from "chat-dev-client";

const [url, token] = process.argv.slice(2);
const timer = setTimeout(() => {
  console.error("no answer within {wait_ms} ms");
  process.exit(2);
}, {wait_ms});
const client = new Client(url, { token, WebSocket });
const room = await client.join("lobby");
const received = new Promise((resolve) => {
  room.on("message", (frame) => {
    if (frame.type === "chat" && frame.text === "hello from node") resolve(frame);
  });
});
const ack = await room.publish("hello from node");
const frame = await received;
if (frame.offset !== ack.offset || frame.epoch !== ack.epoch) {
  throw new Error(`published at ${ack.offset}, received at ${frame.offset}`);
}
const manifest = new URL("./node_modules/chat-dev-client/package.json", import.meta.url);
console.log("received", ack.offset, JSON.parse(readFileSync(manifest, "utf8")).version);
client.close();
clearTimeout(timer);
"""

# What a TypeScript user writes: `tsc --strict` proves the tarball's type declarations.
TYPED_APPLICATION = """
import { Client, type Published } from "chat-dev-client";

export async function greet(client: Client): Promise<Published> {
  const room = await client.join("lobby");
  room.on("message", (frame, info) => console.log(frame.type, info.missed));
  return room.publish("typed");
}
"""


@dataclass(frozen=True)
class Built:
    """A generated project at VERSION and what its client_dist command wrote."""

    project: Path
    wheel: Path
    tarball: Path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Generate a project, set its version to VERSION, and run its client_dist command once."""
    require_package_index()  # pip fetches hatchling, npm typescript
    root = tmp_path_factory.mktemp("client-dist")
    project = new_project(root / "clientproj", service="chat-dev", data=["auth=static"]).dest
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(text.replace('version = "0.1.0"', f'version = "{VERSION}"', 1), "utf-8")
    assert tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"] == VERSION
    clients = {
        path: path.read_bytes() for path in (project / "clients").rglob("*") if path.is_file()
    }
    # The command the generated README documents, run as written.
    (documented,) = section_blocks((project / "README.md").read_text("utf-8"), "Clients")[0]
    python, *arguments = documented.split("#")[0].split()
    assert [python, *arguments] == ["python", "-m", "clientproj.engine.client_dist"]
    completed = subprocess.run(
        [sys.executable, *arguments], cwd=project, capture_output=True, text=True, timeout=900
    )
    out = project / "dist" / "clients"
    wheel = out / f"chat_dev_client-{VERSION}-py3-none-any.whl"
    tarball = out / f"chat-dev-client-{VERSION}.tgz"
    # Without npm the wheel is still written (exit 4); the tarball's test then skips, or fails
    # where FASTGEN_REQUIRE_NODE is set.
    npm = shutil.which("npm") is not None
    assert completed.returncode == (0 if npm else NO_NPM), completed.stderr
    assert completed.stdout.splitlines() == [f"wrote {wheel}", *[f"wrote {tarball}"] * npm]
    after = {path: path.read_bytes() for path in (project / "clients").rglob("*") if path.is_file()}
    assert after == clients, "the build changed the project's clients/"
    return Built(project, wheel, tarball)


def test_the_wheel_installs_alone_in_another_folder_and_connects(
    built: Built, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env_dir = elsewhere / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", built.wheel], elsewhere, timeout=600)
    frozen = run([python, "-m", "pip", "list", "--format=freeze"], elsewhere)
    pairs = (line.lower().partition("==") for line in frozen.split())
    installed = {name: version for name, _, version in pairs}
    assert installed.keys() - {"pip", "setuptools"} == {"chat-dev-client", "websockets"}
    assert installed["chat-dev-client"] == VERSION
    application = elsewhere / "app.py"
    application.write_text(
        PYTHON_APPLICATION.format(package="clientproj", wait_ms=WAIT_MS), encoding="utf-8"
    )
    with running_service(built.project, tmp_path / "service.log", AUTH_TOKENS=TOKENS) as port:
        url = f"ws://127.0.0.1:{port}/ws/chat"
        output = run([python, application, url, "app-token"], elsewhere, timeout=120)
    assert output.strip() == f"received 1 {VERSION}"


def test_the_tarball_installs_in_another_folder_types_check_and_connects(
    built: Built, node_modules: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    manifest = {"name": "elsewhere", "private": True, "type": "module"}
    (elsewhere / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    # The `ws` fastgen's own tests run with (root package-lock.json).
    ws = json.loads((node_modules / "ws" / "package.json").read_text("utf-8"))["version"]
    npm = ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
    run([*npm, built.tarball, f"ws@{ws}"], elsewhere, timeout=600)
    installed = elsewhere / "node_modules" / "chat-dev-client"
    assert json.loads((installed / "package.json").read_text("utf-8"))["version"] == VERSION
    (elsewhere / "typed.ts").write_text(TYPED_APPLICATION, encoding="utf-8")
    tsc = [str(REPO_ROOT / "node_modules" / ".bin" / "tsc"), "--noEmit", "--strict"]
    options = ["--module", "nodenext", "--target", "es2022", "--lib", "es2022,dom"]
    run([*tsc, *options, "typed.ts"], elsewhere, timeout=300)
    application = elsewhere / "app.mjs"
    # str.replace, not format: the JavaScript's own braces stay as they are.
    application.write_text(NODE_APPLICATION.replace("{wait_ms}", str(WAIT_MS)), "utf-8")
    with running_service(built.project, tmp_path / "service.log", AUTH_TOKENS=TOKENS) as port:
        url = f"ws://127.0.0.1:{port}/ws/chat"
        output = run(["node", application, url, "app-token"], elsewhere, timeout=120)
    assert output.strip() == f"received 1 {VERSION}"


def test_a_new_service_version_needs_no_edit_in_clients(built: Built) -> None:
    # clients/ is template-owned: the project's own suite must pass with only pyproject bumped.
    distribution = (
        "tests/test_client.py::test_the_client_is_its_own_distribution_with_the_services_websockets"
    )
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    output = run([*pytest, "tests/test_client_dist.py", distribution], built.project)
    assert " passed" in output
    assert " skipped" not in output
