"""The generated package's boundary: the user's modules, and the engine `fastgen update` maintains.

An engine fix must reach a user without a merge in code of theirs, and a project made before
the engine/ package must update into it with its own handlers and edits intact.
"""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from fastgen import add_handler as add_handler_module
from fastgen.add_handler import add_handler
from fastgen.cli import app
from fastgen.generate import new_project
from fastgen.update import CONFLICT_MARKER
from tests.conftest import (
    REPO_ROOT,
    git,
    make_template_repo,
    run_project_checks,
    write_client_types,
)

PKG = "proj"
ENGINE = Path("template") / "{{package_name}}" / "engine"
ENGINE_MARK = "Engine file: `fastgen update` maintains it (see engine/__init__.py)."
DOCS = Path("template") / "docs"
DOCS_MARK = "`fastgen update` maintains this page with the engine it describes"
# The last commit of the flat layout, before the engine/ package: what users had.
LAST_FLAT_RELEASE = "7d37b33"
# Most lines the user's own modules may have, tests aside (the generated README says so).
USER_OWNED_MAX_LINES = 850

runner = CliRunner()


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def update(project: Path) -> str:
    result = runner.invoke(app, ["update", str(project)])
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def assert_no_conflicts(project: Path) -> None:
    leftovers = [
        path.relative_to(project)
        for path in project.rglob("*")
        if path.is_file()
        and ".git" not in path.parts
        and (path.suffix == ".rej" or CONFLICT_MARKER.encode() in path.read_bytes().splitlines())
    ]
    assert leftovers == []


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def make_user_edits(project: Path) -> dict[Path, str]:
    """Edit two handlers, a router, config and the README, as a user would; commit them."""
    package = project / PKG
    add_handler("shout", project)
    if (package / "engine" / "client_types.py").is_file():  # as `add handler` says next
        write_client_types(project)
    edit(package / "handlers" / "shout.py", "message.text,", "message.text.upper(),")
    edit(
        project / "tests" / "test_handler_shout.py",
        'receive_json() == {"type": TYPE, "text": "hello"}',
        'receive_json() == {"type": TYPE, "text": "HELLO"}',
    )
    edit(
        package / "handlers" / "echo.py",
        '"""Sends the message\'s data straight back."""',
        '"""Ours."""',
    )
    edit(
        package / "routers" / "api.py",
        "router = APIRouter(",
        '# Ours: the team wiki links here.\nTEAM = "blue"\n\nrouter = APIRouter(',
    )
    edit(
        package / "config.py",
        "    HOST: str =",
        '    # Ours.\n    GREETING: str = "hi"\n    HOST: str =',
    )
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOur deploy notes.\n", "utf-8")
    commit_all(project, "user edits")
    edited = [
        package / "handlers" / "shout.py",
        package / "handlers" / "echo.py",
        package / "routers" / "api.py",
        package / "config.py",
        readme,
    ]
    return {path: path.read_text(encoding="utf-8") for path in edited}


def generated(dest: Path, template: Path) -> Path:
    project = new_project(dest, service="chat-dev", src=str(template)).dest
    if not (project / ".git").is_dir():  # a fastgen that leaves git to the caller
        git(project, "init", "-q", "-b", "main")
        commit_all(project, "generated")
    return project


def test_every_engine_file_says_that_updates_maintain_it() -> None:
    unmarked = [
        path.relative_to(REPO_ROOT)
        for path in (REPO_ROOT / ENGINE).rglob("*")
        if path.is_file()
        and not any(ENGINE_MARK in line for line in path.read_text("utf-8").splitlines()[:2])
    ]
    assert unmarked == []


def test_every_docs_page_says_that_updates_maintain_it() -> None:
    """docs/ describes the engine, so it is the template's like engine/; the README is theirs."""
    unmarked = [
        path.name
        for path in (REPO_ROOT / DOCS).iterdir()
        if DOCS_MARK not in " ".join(path.read_text("utf-8").splitlines()[:4])
    ]
    assert unmarked == []


def test_the_users_modules_are_the_smaller_part_and_as_small_as_the_readme_says(
    tmp_path: Path,
) -> None:
    project = new_project(
        tmp_path / PKG, service="chat-dev", data=["auth=jwt", "broadcast=redis"]
    ).dest
    package = project / PKG

    def lines(paths: list[Path]) -> int:
        return sum(len(path.read_text(encoding="utf-8").splitlines()) for path in paths)

    engine = list((package / "engine").rglob("*.py"))
    own = [path for path in package.rglob("*.py") if "engine" not in path.parts]
    assert lines(own) <= USER_OWNED_MAX_LINES < lines(engine)
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert f"under {USER_OWNED_MAX_LINES} lines in all" in readme


@pytest.mark.e2e
@pytest.mark.full
def test_an_engine_only_release_merges_into_an_edited_project_without_conflict(
    tmp_path: Path,
) -> None:
    template = make_template_repo(tmp_path / "template", tag="v1")
    project = generated(tmp_path / PKG, template)
    edits = make_user_edits(project)

    engine = template / ENGINE
    edit(
        engine / "session.py",
        "logger = logging.getLogger(__name__)\n",
        "logger = logging.getLogger(__name__)\n# v2: an engine fix.\n",
    )
    edit(
        engine / "connection.py",
        "CLOSE_TIMEOUT_SECONDS = 2.0\n",
        "CLOSE_TIMEOUT_SECONDS = 2.0  # v2\n",
    )
    edit(
        engine / "broker" / "memory.py",
        "class MemoryEngine:",
        "# v2: another.\nclass MemoryEngine:",
    )
    commit_all(template, "engine fix")
    git(template, "tag", "v2")

    update(project)
    assert_no_conflicts(project)
    assert "# v2: an engine fix." in (project / PKG / "engine" / "session.py").read_text("utf-8")
    for path, text in edits.items():
        assert path.read_text(encoding="utf-8") == text, path
    # The clients' message types the user wrote with shout's are kept (`_skip_if_exists`).
    assert "ShoutMessage" in (project / "clients/typescript/src/messages.ts").read_text("utf-8")
    run_project_checks(project)


def last_flat_release(dest: Path) -> Path:
    """The template as it was at `LAST_FLAT_RELEASE`, as a git repository tagged v1."""
    dest.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", LAST_FLAT_RELEASE, "copier.yml", "template"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert archive.returncode == 0, (
        f"this checkout lacks {LAST_FLAT_RELEASE} (a shallow clone?): {archive.stderr!r}"
    )
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True, timeout=60)
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "the flat layout")
    git(dest, "tag", "v1")
    return dest


@pytest.mark.e2e
@pytest.mark.full
def test_a_flat_layout_project_updates_into_the_engine_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = last_flat_release(tmp_path / "template")
    project = generated(tmp_path / PKG, template)
    # `fastgen add handler` as that release wrote handlers: its own scaffolds.
    scaffolds = tmp_path / "old-scaffolds"
    scaffolds.mkdir()
    for name in ("handler.py.tmpl", "test_handler.py.tmpl"):
        old = git(REPO_ROOT, "show", f"{LAST_FLAT_RELEASE}:generator/fastgen/scaffolds/{name}")
        (scaffolds / name).write_text(old, encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr(add_handler_module, "SCAFFOLDS", scaffolds)
        edits = make_user_edits(project)
    assert "from proj.status_codes import" in (project / "tests/test_handler_shout.py").read_text()

    # The engine layout: this checkout's template, as the next release.
    shutil.rmtree(template / "template")
    shutil.copytree(REPO_ROOT / "template", template / "template")
    shutil.copy2(REPO_ROOT / "copier.yml", template / "copier.yml")
    commit_all(template, "the engine layout")
    git(template, "tag", "v2")

    update(project)
    assert_no_conflicts(project)
    assert (project / PKG / "engine" / "connection.py").is_file()
    # The clients' message types arrive as the template ships them, without shout: the
    # project's test of them says to rerun the command, as a user would.
    assert "Shout" not in (project / "clients/typescript/src/messages.ts").read_text("utf-8")
    write_client_types(project)
    assert not (project / PKG / "connections.py").exists()
    # The template changed config.py, api.py and the README too: merged, the edits kept.
    merged = {
        "config.py": '    # Ours.\n    GREETING: str = "hi"\n',
        "api.py": '# Ours: the team wiki links here.\nTEAM = "blue"\n',
        "README.md": "Our deploy notes.",
    }
    for path, text in edits.items():
        now = path.read_text(encoding="utf-8")
        assert merged[path.name] in now if path.name in merged else now == text, path
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["_commit"] == "v2"
    # The old handler test imports `proj.status_codes`: it passes, with the warning shown.
    output = run_project_checks(project)
    assert "MovedModuleWarning: proj.status_codes moved to proj.engine.status_codes" in output
