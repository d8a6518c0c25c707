"""The generated TypeScript client: strict types, shipped JavaScript, and behaviour in Node.

The client's sources are ``template/clients/typescript/src``; its compiled ES module ships in
the engine (``engine/static/client/``), where the console loads it and the service serves it
without Node. These tests prove the shipped JavaScript is exactly ``tsc``'s output of the
sources, and run the client's Node tests (``tests/ts_client/``, ``node --test`` with ``ws``)
against a real generated service. Node is fastgen's test tool only: no generated project
needs it.
"""

import filecmp
import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from fastgen.generate import new_project
from tests.conftest import REPO_ROOT, run
from tests.services import running_service

CLIENT_DIR = REPO_ROOT / "template" / "clients" / "typescript"
SHIPPED = REPO_ROOT / "template" / "{{package_name}}" / "engine" / "static" / "client"
NODE_TESTS = Path(__file__).resolve().parent / "ts_client"
# Small, so the reset test can publish past it quickly.
HISTORY_SIZE = 20
# The JWT project's debug signing secret (config.py's DEV_JWT_SECRET).
DEV_JWT_SECRET = "dev-secret-change-me-dev-secret-change-me"


def tsc(node_modules: Path, *args: str | Path) -> str:
    return run([node_modules / ".bin" / "tsc", *args], CLIENT_DIR, timeout=300)


def test_the_client_type_checks_strictly(node_modules: Path) -> None:
    config = json.loads((CLIENT_DIR / "tsconfig.json").read_text(encoding="utf-8"))
    assert config["compilerOptions"]["strict"] is True
    tsc(node_modules, "-p", CLIENT_DIR, "--noEmit")


def test_an_application_using_the_client_type_checks_strictly(node_modules: Path) -> None:
    """The public types as a user meets them: events, messages, errors, and `ws` injected."""
    consumer = NODE_TESTS / "consumer.ts"
    options = ["--strict", "--noEmit", "--target", "ES2022", "--module", "ES2022"]
    options += ["--moduleResolution", "bundler", "--lib", "ES2022,DOM", "--types", "node"]
    tsc(node_modules, *options, consumer)


def test_the_shipped_javascript_is_exactly_tscs_output(node_modules: Path, tmp_path: Path) -> None:
    """The console's copy is the build of the sources (``npm run build:client`` writes it)."""
    tsc(node_modules, "-p", CLIENT_DIR, "--declaration", "false", "--outDir", tmp_path)
    built = sorted(path.name for path in tmp_path.iterdir())
    assert built == sorted(path.name for path in SHIPPED.iterdir()), "run npm run build:client"
    _same, mismatch, errors = filecmp.cmpfiles(tmp_path, SHIPPED, built, shallow=False)
    assert (mismatch, errors) == ([], []), "stale: run npm run build:client"


def test_the_package_has_no_runtime_dependencies_and_the_services_version(tmp_path: Path) -> None:
    project = new_project(tmp_path / "proj", service="chat-dev").dest
    package = json.loads((project / "clients" / "typescript" / "package.json").read_text("utf-8"))
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    assert package["name"] == "chat-dev-client"
    assert package["version"] == pyproject["project"]["version"]
    assert "dependencies" not in package
    assert (project / "proj" / "engine" / "static" / "client" / "index.js").is_file()
    assert not (project / "clients" / "typescript" / "dist").exists()


def node_test(files: list[Path], env: dict[str, str]) -> str:
    """Run Node's test runner on `files`; fail with its output unless every test passed."""
    completed = subprocess.run(
        ["node", "--test", "--test-reporter=tap", *map(str, files)],
        cwd=REPO_ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output
    assert "# fail 0" in output, output
    return output


def test_backoff_close_rules_and_bad_options(node_modules: Path) -> None:
    """The client's rules that need no service, on the shipped JavaScript."""
    output = node_test(
        [NODE_TESTS / "units.test.mjs"], {"FASTGEN_CLIENT": (SHIPPED / "index.js").as_uri()}
    )
    assert "# pass 6" in output, output


@pytest.mark.e2e
@pytest.mark.parametrize("auth", ["static", "jwt"])
def test_the_client_against_a_generated_service(
    auth: str, node_modules: Path, tmp_path: Path
) -> None:
    """Reconnect, resume exactly once, exactly-once publish, reset, refused tokens, full
    outbox, bad URLs and dead links, with the JavaScript the generated project ships."""
    project = new_project(tmp_path / "proj", service="chat-dev", data=[f"auth={auth}"]).dest
    shipped = project / "proj" / "engine" / "static" / "client" / "index.js"
    with running_service(project, tmp_path / "service.log", HISTORY_SIZE=str(HISTORY_SIZE)) as port:
        env = {
            "FASTGEN_CLIENT": shipped.as_uri(),
            "CHAT_URL": f"ws://127.0.0.1:{port}/ws/chat",
            "AUTH": auth,
            "JWT_SECRET": DEV_JWT_SECRET,
            "HISTORY_SIZE": str(HISTORY_SIZE),
        }
        output = node_test([NODE_TESTS], env)
    skipped = 0 if auth == "jwt" else 2  # refresh and expiry need a JWT
    assert f"# skipped {skipped}" in output, output
