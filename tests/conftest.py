"""Fixtures shared by fastgen's tests: the template's questions and project generation."""

import fcntl
import functools
import os
import shutil
import site
import subprocess
import sys
import venv
from collections.abc import Callable, Sequence
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any, NoReturn

import pytest
import yaml

from fastgen.generate import NewProject, new_project

REPO_ROOT = Path(__file__).resolve().parent.parent
COPIER_YML = REPO_ROOT / "copier.yml"

Generate = Callable[..., NewProject]
# The distribution's name as wheel file names spell it (PEP 427: "-" becomes "_").
WHEEL_NAME = "fastgen_ws"


# The full matrix (tests marked `full`, and every combination of the template's choices) runs
# with `pytest --full` or FASTGEN_FULL=1 (what CI sets); without it, the fast contributor loop.
FULL_ENV = "FASTGEN_FULL"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--full",
        action="store_true",
        help=f"run the full matrix: tests marked full, every choice combination (or {FULL_ENV}=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Before collection: parametrizations read full_run() when their modules are imported.
    if config.getoption("--full"):
        os.environ[FULL_ENV] = "1"


def full_run() -> bool:
    """Whether this run is the full matrix (``--full`` or ``FASTGEN_FULL=1``)."""
    return os.environ.get(FULL_ENV, "").strip() not in ("", "0")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: a worker per core this process may use, at most 4 (every worker runs
    generated suites that start services of their own)."""
    return min(len(os.sched_getaffinity(0)), 4)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not full_run():
        deselected = [item for item in items if item.get_closest_marker("full")]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if not item.get_closest_marker("full")]
    # The slow tests first (a stable sort keeps their order): workers then finish together
    # instead of one running a generated suite alone at the end.
    items.sort(key=lambda item: item.get_closest_marker("e2e") is None)


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


# Deselects the generated suite's long runs, the client under chaos (a minute per broker) and
# the Redis failover topologies (`slow`): they run once per combination, in test_e2e's
# matrix, rather than in every suite run fastgen makes.
WITHOUT_LONG_RUNS = ["-m", "not chaos and not slow"]


def run_project_checks(project: Path, *, long_runs: bool = False) -> str:
    """A generated project's own lint and tests, with its own commands; returns pytest's output.

    The ``chaos`` and ``slow`` tests run only when `long_runs` is set (see WITHOUT_LONG_RUNS).
    """
    run([sys.executable, "-m", "ruff", "check", "."], project)
    run([sys.executable, "-m", "ruff", "format", "--check", "."], project)
    selection = [] if long_runs else WITHOUT_LONG_RUNS
    output = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *selection], project
    )
    assert " passed" in output, output
    assert " failed" not in output, output
    # A project's own tests skip when a system package they use is missing (nginx for the
    # proxy configuration): CI installs them all, so there a skip is a failure.
    if os.environ.get("FASTGEN_REQUIRE_PROJECT_TESTS") and " skipped" in output:
        pytest.fail(f"the project skipped tests (FASTGEN_REQUIRE_PROJECT_TESTS is set):\n{output}")
    return output


def write_client_types(project: Path) -> str:
    """Run the project's ``python -m <package>.engine.client_types``, as `add handler` says to."""
    from fastgen.add_handler import project_package

    return run([sys.executable, "-m", f"{project_package(project)}.engine.client_types"], project)


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


def unavailable(reason: str, *, required_by: str) -> NoReturn:
    """Skip a test whose outside requirement is missing; fail instead where it is required.

    `required_by` names the environment variable (set by ``.ci/run``) that makes the
    requirement mandatory, so that CI can never pass by skipping.
    """
    if os.environ.get(required_by):
        pytest.fail(f"{reason} (required: {required_by} is set)")
    pytest.skip(reason)


@functools.cache
def package_index_error() -> str | None:
    """Why pip cannot reach its package index right now (None when it can).

    Asks pip itself (``pip index versions pip``), so the index and proxies configured for
    pip are the ones probed; bounded to a few seconds.
    """
    command = [sys.executable, "-m", "pip", "index", "versions", "pip"]
    try:
        completed = subprocess.run(
            [*command, "--retries", "0", "--timeout", "10"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "pip's package index did not answer within 30 s"
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        return f"pip's package index cannot be reached ({last})"
    return None


def require_package_index() -> None:
    """Tests that install a project into a bare venv need the package index."""
    if error := package_index_error():
        unavailable(
            f"{error}: this test installs a generated project into a bare venv from it",
            required_by="FASTGEN_REQUIRE_INDEX",
        )


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """fastgen's Node toolchain (root package.json: typescript, ws, modelina), installed once.

    Runs ``npm ci`` when the lock file is newer than what is installed. Node is fastgen's
    test tool only: a generated service never needs it. Without npm the test is skipped,
    except where FASTGEN_REQUIRE_NODE is set (CI).
    """
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        unavailable("node and npm are not installed", required_by="FASTGEN_REQUIRE_NODE")
    modules = REPO_ROOT / "node_modules"
    stamp = modules / ".package-lock.json"  # npm's record of what it installed
    lock = REPO_ROOT / "package-lock.json"
    # pytest-xdist's workers each run this fixture: one `npm ci` at a time, the others wait
    # for it (an advisory lock on the lock file, which `npm ci` only reads).
    with lock.open("rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
            completed = subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if completed.returncode != 0:
                unavailable(
                    f"npm ci failed: {completed.stderr.strip()[-500:]}",
                    required_by="FASTGEN_REQUIRE_NODE",
                )
    return modules


def build_wheel(source: Path, out: Path) -> Path:
    """Build fastgen's wheel from `source` into `out`, offline; return its path.

    No build isolation and no index: hatchling comes from the environment the tests run in
    (it is in the ``test`` extra), so the build needs no network.
    """
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    run([*command, "--no-index", "-w", out, source], out.parent)
    (wheel,) = out.glob(f"{WHEEL_NAME}-*.whl")
    return wheel


def this_environment_site_dirs() -> list[str]:
    """The package folders of the environment running the tests, as its `site` set them up.

    In a venv that is the venv's site-packages; in a system Python, its own site folders
    (and the user site, when enabled). Never another interpreter's.
    """
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [path for path in dirs if Path(path).is_dir()]


def wheel_venv(tmp_path: Path) -> Path:
    """A fresh venv to install fastgen's wheel into, offline.

    Its own site-packages comes first on `sys.path`; after it, a ``.pth`` file appends the
    package folders of the environment running the tests, so copier & co. come from there,
    wherever the suite runs (a venv, CI, a system Python). ``system_site_packages`` would
    show the *base* interpreter's packages instead. Paths in a ``.pth`` file are added
    without processing the ``.pth`` files inside them, so an editable fastgen of the test
    environment stays invisible: only the installed wheel provides ``fastgen``.
    """
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    lines = "".join(f"{path}\n" for path in this_environment_site_dirs())
    (Path(purelib) / "_fastgen_test_environment.pth").write_text(lines, encoding="utf-8")
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
