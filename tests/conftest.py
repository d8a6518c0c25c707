"""Fixtures shared by fastgen's tests: the template's questions and project generation."""

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Callable, Sequence
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import pytest
import yaml

from fastgen.generate import NewProject, new_project

REPO_ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = REPO_ROOT / "copier.yml"

Generate = Callable[..., NewProject]


def load_questions() -> dict[str, dict[str, Any]]:
    """The template's questions, straight from copier.yml."""
    config = yaml.safe_load(COPIER_YML.read_text(encoding="utf-8"))
    return {name: spec for name, spec in config.items() if not name.startswith("_")}


def choices_of(question: str) -> list[str]:
    """The real choices of a question in copier.yml (empty when it has none)."""
    return [str(choice) for choice in load_questions().get(question, {}).get("choices", [])]


def run(args: Sequence[str | Path], cwd: Path, timeout: float = 600) -> str:
    """Run a command; fail the test with its output when it exits non-zero."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    completed = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        pytest.fail(f"{' '.join(map(str, args))} exited {completed.returncode}:\n{output}")
    return output


def run_project_checks(project: Path) -> str:
    """A generated project's own lint and tests, with its own commands; returns pytest's output."""
    run([sys.executable, "-m", "ruff", "check", "."], project)
    run([sys.executable, "-m", "ruff", "format", "--check", "."], project)
    output = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert " passed" in output, output
    assert " failed" not in output, output
    return output


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity; return its output."""
    return run(
        ["git", "-c", "user.name=fastgen tests", "-c", "user.email=tests@fastgen.invalid", *args],
        repo,
    )


def make_template_repo(dest: Path, tag: str | None = None) -> Path:
    """A throwaway git repository holding this checkout's template, committed (and tagged)."""
    dest.mkdir(parents=True)
    shutil.copy2(COPIER_YML, dest / COPIER_YML.name)
    shutil.copytree(REPO_ROOT / "template", dest / "template")
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "template")
    if tag:
        git(dest, "tag", tag)
    return dest


def wheel_venv(tmp_path: Path) -> Path:
    """A venv to install fastgen's wheel into; copier & co. come from the system packages."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, system_site_packages=True)
    return env_dir


def installed_fastgen(env_dir: Path, *args: str | Path, cwd: Path) -> CompletedProcess[str]:
    """Run the `fastgen` installed in `env_dir`: no stdin, no network, no checkout on the path.

    PYTHONPATH is dropped so that only the installed wheel is under test; git may use local
    repositories only (``GIT_ALLOW_PROTOCOL=file``), so any network access fails the run.
    """
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env |= {"PIP_NO_INDEX": "1", "GIT_ALLOW_PROTOCOL": "file"}
    return subprocess.run(
        [env_dir / "bin" / "fastgen", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
        timeout=300,
    )


@pytest.fixture
def generate(tmp_path: Path) -> Generate:
    """Generate a project from this checkout's template into a fresh folder under tmp_path."""

    def make(name: str = "proj", **kwargs: Any) -> NewProject:
        kwargs.setdefault("service", "chat-dev")
        return new_project(tmp_path / name, **kwargs)

    return make
