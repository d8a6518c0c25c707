"""fastgen's own dependency ranges hold at their floors, as a generated project's do.

The newest end is every other test: they run in a venv holding the newest releases the
ranges admit. Here fastgen is installed with each runtime dependency at its declared floor
(``uv pip install --resolution lowest-direct``), and its commands do what they do with the
newest releases: the same project, an added handler, an update that keeps a user's edits.
"""

import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from uv import find_uv_bin

from fastgen.add_handler import add_handler
from fastgen.generate import new_project
from tests.conftest import (
    REPO_ROOT,
    git,
    installed_fastgen,
    make_template_repo,
    require_package_index,
    run,
)
from tests.test_e2e import tree
from tests.test_update import PKG, change_template, commit_all, make_user_edits

pytestmark = [pytest.mark.e2e, pytest.mark.full]


def declared_floors() -> dict[str, Version]:
    """fastgen's runtime dependencies and the lowest release each one's range admits."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    floors = {}
    for line in pyproject["project"]["dependencies"]:
        requirement = Requirement(line)
        (floor,) = (spec.version for spec in requirement.specifier if spec.operator == ">=")
        floors[canonicalize_name(requirement.name)] = Version(floor)
    return floors


@pytest.fixture(scope="module")
def lowest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding fastgen with every runtime dependency at the lowest release allowed."""
    require_package_index()
    env_dir = tmp_path_factory.mktemp("lowest") / "venv"
    uv = find_uv_bin()
    run([uv, "venv", "-q", "--python", sys.executable, env_dir], env_dir.parent)
    install = [uv, "pip", "install", "-q", "--python", env_dir / "bin" / "python"]
    run([*install, "--resolution", "lowest-direct", REPO_ROOT], env_dir.parent, timeout=900)
    return env_dir


def test_every_declared_floor_is_what_gets_installed(lowest: Path) -> None:
    """A floor below what the other floors allow would be a promise nobody has run."""
    listed = run([find_uv_bin(), "pip", "freeze", "--python", lowest / "bin" / "python"], lowest)
    installed = {
        canonicalize_name(name): Version(version)
        for name, _, version in (line.partition("==") for line in listed.split())
        if version
    }
    floors = declared_floors()
    assert {name: installed[name] for name in floors} == floors


def test_new_and_add_handler_make_the_same_project_as_the_newest_releases(
    lowest: Path, tmp_path: Path
) -> None:
    made = installed_fastgen(lowest, "new", "demo", "--service", "chat-dev", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    project = tmp_path / "demo"
    added = installed_fastgen(lowest, "add", "handler", "get_score", cwd=project)
    assert added.returncode == 0, added.stdout + added.stderr
    newest = new_project(tmp_path / "newest" / "demo", service="chat-dev").dest
    git(newest, "init", "-q", "-b", "main")
    add_handler("get_score", newest)
    at_floor, at_newest = tree(project), tree(newest)
    # The answers record the template's commit, which differs where the checkout has
    # uncommitted edits (each fastgen commits them on its own): every other line must match.
    answers = ".copier-answers.yml"
    assert drop_commit(at_floor.pop(answers)) == drop_commit(at_newest.pop(answers))
    assert at_floor == at_newest


def drop_commit(answers: bytes) -> list[bytes]:
    """The answers file's lines without `_commit`."""
    return [line for line in answers.splitlines() if not line.startswith(b"_commit:")]


def test_update_keeps_a_users_edits(lowest: Path, tmp_path: Path) -> None:
    template = make_template_repo(tmp_path / "template", tag="v1")
    made = installed_fastgen(
        lowest, "new", PKG, "--service", "chat-dev", "--src", template, cwd=tmp_path
    )
    assert made.returncode == 0, made.stdout + made.stderr
    project = tmp_path / PKG
    make_user_edits(project)
    change_template(template, "v2")
    updated = installed_fastgen(lowest, "update", project, cwd=tmp_path)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert (project / PKG / "template_v2.py").is_file()
    assert (project / PKG / "extras.py").is_file()
    commit_all(project, "updated")
