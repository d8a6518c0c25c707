"""A generated project's dependency ranges hold at both ends.

For every combination of the template's feature choices, the project runs its own suite at
both ends: in a fresh venv with every runtime dependency at the floor its range declares
(``uv pip install --resolution lowest-direct``; the dev tools at their newest, since they
check the code rather than run it), and with the newest releases the ranges admit (the venv
running these tests, when it holds them and test_e2e's matrix runs the suite there, else a
fresh venv). A floor that does not hold, or a ceiling the suite has not run up to, fails here
before a user's ``pip install`` meets it.
"""

import itertools
import os
import sys
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
from uv import find_uv_bin

from fastgen.generate import new_project
from fastgen.update import check_project, update_project
from tests.conftest import (
    WITHOUT_LONG_RUNS,
    choices_of,
    git,
    load_questions,
    make_template_repo,
    require_package_index,
    run,
)
from tests.test_dependencies import lowest_version

# The floors the suites below have passed with (canonical name → lowest release proven). The
# generated pyproject may declare higher ones, never lower: a lowered floor fails
# test_declared_floors_are_proven until the both-ends tests have run it and this table says so.
PROVEN_FLOORS = {
    "fastapi": "0.165",
    "uvicorn": "0.54",
    "websockets": "13.1",
    "orjson": "3.10.7",
    "pydantic": "2.9",
    "pydantic-settings": "2.4",
    "typing-extensions": "4.12",
    "prometheus-client": "0.20",
    "pyjwt": "2.8",
    "redis": "8.2",
    "httpx2": "2.16",
}
# Dev tools that check or drive the code without being imported by it: installed at their
# newest at both ends. The rest of the dev list (the test client) is held to its floor too.
TOOLS = {"pytest", "pytest-timeout", "ruff", "mypy"}
# Bounds on one uv call (an install from a warm cache takes seconds) and on one project suite.
INSTALL_TIMEOUT = 600
SUITE_TIMEOUT = 1200


def feature_cases() -> list[dict[str, str]]:
    """Every combination of the template's feature choices, on its lowest Python.

    Read from copier.yml, so a new choice question is covered without touching this test.
    The Python question is pinned to its lowest choice: the venvs are made with the Python
    running these tests, and whether the floors install on the other Pythons is checked
    without running them (test_floors_install_from_wheels_on_every_python).
    """
    choices = {
        name: [str(choice) for choice in spec["choices"]]
        for name, spec in load_questions().items()
        if "choices" in spec and name != "python_version"
    }
    lowest_python = min(choices_of("python_version"), key=Version)
    return [
        {**dict(zip(choices, combo, strict=True)), "python_version": lowest_python}
        for combo in itertools.product(*choices.values())
    ]


CASES = feature_cases()
IDS = ["-".join(case.values()) for case in CASES]


@dataclass(frozen=True)
class Declared:
    """What a generated project declares: runtime requirements and the ``dev`` list."""

    runtime: list[Requirement]
    dev: list[Requirement]

    @property
    def held_to_floor(self) -> list[Requirement]:
        """The requirements installed at their floors by the lowest-direct end."""
        return [*self.runtime, *(req for req in self.dev if name_of(req) not in TOOLS)]

    @property
    def tools(self) -> list[Requirement]:
        """The dev tools, installed at their newest at both ends."""
        return [req for req in self.dev if name_of(req) in TOOLS]


def name_of(req: Requirement) -> str:
    return canonicalize_name(req.name)


def declared(project: Path) -> Declared:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    dev = pyproject["project"]["optional-dependencies"]["dev"]
    return Declared(
        runtime=[Requirement(text) for text in pyproject["project"]["dependencies"]],
        dev=[Requirement(text) for text in dev],
    )


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One generated project per case id, made once for the module."""
    root = tmp_path_factory.mktemp("ranges")
    return {
        case_id: new_project(
            root / case_id / "proj",
            service="chat-dev",
            data=[f"{key}={value}" for key, value in answers.items()],
        ).dest
        for case_id, answers in zip(IDS, CASES, strict=True)
    }


# --- Cheap checks: no venv, no index ------------------------------------------------------


def unproven_floors(project: Path) -> list[str]:
    """Why a floor that `project` declares is not one the both-ends tests proved (empty when
    every floor is at least the proven one)."""
    problems = []
    for req in declared(project).held_to_floor:
        floor = lowest_version(req.specifier)
        proven = PROVEN_FLOORS.get(name_of(req))
        if floor is None or proven is None:
            problems.append(f"{req}: no floor, or none proven (add it to PROVEN_FLOORS)")
        elif floor < Version(proven):
            problems.append(f"{req}: below the proven floor {proven}")
    return problems


@pytest.mark.parametrize("case_id", IDS)
def test_declared_floors_are_proven(projects: dict[str, Path], case_id: str) -> None:
    """Every floor the project declares is at least the one the both-ends tests proved."""
    assert unproven_floors(projects[case_id]) == []


def test_the_floor_check_catches_a_lowered_floor(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\ndependencies = ["redis>=5", "leftpad>=1", "orjson", "pydantic>=2.10"]\n'
        "[project.optional-dependencies]\ndev = []\n",
        encoding="utf-8",
    )
    assert unproven_floors(tmp_path) == [
        "redis>=5: below the proven floor 8.2",
        "leftpad>=1: no floor, or none proven (add it to PROVEN_FLOORS)",
        "orjson: no floor, or none proven (add it to PROVEN_FLOORS)",
    ]


@pytest.mark.parametrize("case_id", IDS)
def test_uvicorn_is_fenced_to_run_minor_versions(projects: dict[str, Path], case_id: str) -> None:
    """protocols.py overrides uvicorn internals: the range stops below an unreleased minor."""
    (uvicorn,) = [req for req in declared(projects[case_id]).runtime if name_of(req) == "uvicorn"]
    ceilings = [Version(spec.version) for spec in uvicorn.specifier if spec.operator == "<"]
    assert ceilings, f"{uvicorn}: no upper bound"
    assert minors_between(uvicorn.specifier) == {(0, 54), (0, 55)}


# --- The two ends -------------------------------------------------------------------------


def uv(*args: str | Path, cwd: Path) -> str:
    """Run uv (the one installed beside these tests, with its usual cache); fail on an error."""
    return run([find_uv_bin(), *args], cwd, timeout=INSTALL_TIMEOUT)


def uv_pip(*args: str | Path, cwd: Path, venv: Path) -> str:
    """``uv pip`` on `venv`."""
    return uv("pip", *args, "--python", venv / "bin" / "python", cwd=cwd)


def installed_versions(venv: Path) -> dict[str, Version]:
    """Each distribution installed in `venv`, by canonical name."""
    return {name: Version(dist.version) for name, dist in distributions(venv)}


def distributions(venv: Path) -> Iterator[tuple[str, metadata.Distribution]]:
    (site_packages,) = venv.glob("lib/python*/site-packages")
    for dist in metadata.distributions(path=[str(site_packages)]):
        yield canonicalize_name(dist.metadata["Name"]), dist


def raised_by(venv: Path, name: str, floor: Version) -> list[str]:
    """The installed distributions whose own requirements refuse `floor` of `name`."""
    environment = {**default_environment(), "extra": ""}
    found = []
    for owner, dist in distributions(venv):
        for text in dist.requires or []:
            req = Requirement(text)
            applies = req.marker is None or req.marker.evaluate(environment)
            if name_of(req) == name and applies and not req.specifier.contains(floor, True):
                found.append(f"{owner} {dist.version} needs {req}")
    return found


def floor_problems(venv: Path, held: Iterable[Requirement]) -> list[str]:
    """Why a requirement of `held` is not installed at its floor in `venv` (empty when all are).

    At its floor means: a release of the floor's series (``>=2.4`` → 2.4.x). A higher one is
    accepted only when another installed distribution requires it; otherwise the declared floor
    is not what lowest-direct installs, and so not what this test proved.
    """
    versions = installed_versions(venv)
    problems = []
    for req in held:
        floor = lowest_version(req.specifier)
        assert floor is not None, f"{req}: no floor"
        version = versions.get(name_of(req))
        if version is None:
            problems.append(f"{req}: not installed")
        elif version.release[: len(floor.release)] != floor.release and not raised_by(
            venv, name_of(req), floor
        ):
            problems.append(f"{req}: installed {version}, and nothing installed needs more")
    return problems


def minors_between(specifier: SpecifierSet) -> set[tuple[int, int]]:
    """The ``(major, minor)`` series `specifier` admits from its floor below its ceiling."""
    floor = lowest_version(specifier)
    ceiling = min(Version(spec.version) for spec in specifier if spec.operator == "<")
    assert floor is not None
    assert floor.major == ceiling.major, f"{specifier}: a fence across majors"
    return {
        (floor.major, minor)
        for minor in range(floor.minor, ceiling.minor + 1)
        if specifier.contains(f"{floor.major}.{minor}.0", True)
        or (minor == floor.minor and specifier.contains(floor, True))
    }


def requirements_file(path: Path, requirements: Iterable[Requirement]) -> Path:
    path.write_text("".join(f"{req}\n" for req in requirements), encoding="utf-8")
    return path


def new_venv(project: Path, name: str) -> Path:
    """A fresh venv beside the project (outside it, so that ruff and pytest never see it)."""
    venv = project.parent / f"{project.name}-{name}"
    uv("venv", "-q", "--python", sys.executable, venv, cwd=project.parent)
    return venv


def run_suite(project: Path, venv: Path) -> str:
    """The project's own suite in `venv`: stop at the first failure, no cache left behind."""
    python = venv / "bin" / "python"
    command = [python, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *WITHOUT_LONG_RUNS]
    output = run(command, project, timeout=SUITE_TIMEOUT)
    assert " passed" in output, output
    assert " failed" not in output, output
    if os.environ.get("FASTGEN_REQUIRE_PROJECT_TESTS") and " skipped" in output:
        pytest.fail(f"the project skipped tests (FASTGEN_REQUIRE_PROJECT_TESTS is set):\n{output}")
    return output


def newest_pins(project: Path) -> dict[str, Version]:
    """The newest releases the project's ranges admit (runtime and dev), resolved by uv."""
    flags = ["-q", "--no-header", "--no-annotate", "--extra", "dev", "pyproject.toml"]
    output = uv("pip", "compile", *flags, cwd=project)
    pins = (line.split("==") for line in output.splitlines() if "==" in line)
    return {canonicalize_name(name): Version(version.strip()) for name, version in pins}


def matrix_runs(session: pytest.Session, case_id: str) -> bool:
    """Whether test_e2e's matrix runs this combination's suite in this session (any Python:
    the suites run on the interpreter running these tests)."""
    features = case_id.rsplit("-", 1)[0]
    prefix = "tests/test_e2e.py::test_generated_project_passes_its_own_checks["
    return any(item.nodeid.startswith(f"{prefix}{features}-") for item in session.items)


def newest_end(project: Path, case_id: str, session: pytest.Session) -> Path:
    """The venv holding the newest releases, after the project's suite has passed in it.

    When the venv running these tests already holds them and test_e2e's matrix runs this
    combination's suite in it, that run is the newest end, and it is not run twice (it costs
    a minute or more per combination, in CI's time budget). Otherwise a fresh venv gets them
    and the suite runs here.
    """
    held = {name_of(req) for req in declared(project).held_to_floor}
    wanted = {name: version for name, version in newest_pins(project).items() if name in held}
    here = Path(sys.prefix)
    current = installed_versions(here)
    if matrix_runs(session, case_id) and all(current.get(n) == v for n, v in wanted.items()):
        return here
    newest = new_venv(project, "newest")
    uv_pip("install", "-q", "-r", "pyproject.toml", "--extra", "dev", cwd=project, venv=newest)
    uv_pip("check", cwd=project, venv=newest)
    assert {n: v for n, v in installed_versions(newest).items() if n in wanted} == wanted
    run_suite(project, newest)
    return newest


# An install and a suite run or two per combination: the full matrix's (CI), not the fast loop's.
@pytest.mark.e2e
@pytest.mark.full
@pytest.mark.timeout(2 * (SUITE_TIMEOUT + 3 * INSTALL_TIMEOUT))
@pytest.mark.parametrize("case_id", IDS)
def test_suite_passes_at_both_ends(
    projects: dict[str, Path], case_id: str, request: pytest.FixtureRequest
) -> None:
    require_package_index()
    project = projects[case_id]
    wanted = declared(project)
    fence = {name_of(req): req.specifier for req in wanted.runtime if "<" in str(req.specifier)}

    lowest = new_venv(project, "lowest")
    floors = requirements_file(project.parent / "floors.txt", wanted.held_to_floor)
    uv_pip("install", "-q", "--resolution", "lowest-direct", "-r", floors, cwd=project, venv=lowest)
    uv_pip("install", "-q", *map(str, wanted.tools), cwd=project, venv=lowest)
    uv_pip("check", cwd=project, venv=lowest)
    assert floor_problems(lowest, wanted.held_to_floor) == []
    run_suite(project, lowest)

    newest = newest_end(project, case_id, request.session)
    # Between them, the two ends ran every minor series a fenced range admits.
    low, new = installed_versions(lowest), installed_versions(newest)
    for name, specifier in fence.items():
        ran = {low[name].release[:2], new[name].release[:2]}
        assert minors_between(specifier) <= ran, f"{name}{specifier}: the suite ran only {ran}"


@pytest.mark.parametrize("python", choices_of("python_version"))
def test_floors_install_from_wheels_on_every_python(
    projects: dict[str, Path], python: str, tmp_path: Path
) -> None:
    """On every Python the template offers, the floors resolve to the same releases with and
    without source builds: no floor needs a compiler that a user may not have."""
    require_package_index()
    held = {str(req) for project in projects.values() for req in declared(project).held_to_floor}
    reqs = requirements_file(tmp_path / "floors.txt", map(Requirement, sorted(held)))
    compile_args = ["--resolution", "lowest-direct", "--python-version", python, reqs]

    def resolved(*extra: str) -> dict[str, str]:
        flags = ["-q", "--no-python-downloads", "--no-header", "--no-annotate"]
        output = uv("pip", "compile", *flags, *compile_args, *extra, cwd=tmp_path)
        pins = (line.split("==") for line in output.splitlines() if "==" in line)
        return {canonicalize_name(name): version.strip() for name, version in pins}

    any_build = resolved()
    wheels_only = resolved("--only-binary", ":all:")
    direct = {name_of(Requirement(text)) for text in held}
    differ = {
        name: (any_build.get(name), wheels_only.get(name))
        for name in direct
        if any_build.get(name) != wheels_only.get(name)
    }
    assert differ == {}, f"(lowest, lowest with a wheel) on Python {python}: {differ}"


# --- uv's lock file -----------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.full
def test_uv_leaves_only_its_lock_file_and_update_works_once_it_is_committed(
    tmp_path: Path,
) -> None:
    """`uv sync` / `uv run` in a fresh project leave `uv.lock` (the venv is ignored); committed
    as the README says, it blocks no `fastgen update`, which never touches it."""
    require_package_index()
    template = make_template_repo(tmp_path / "template", tag="v1")
    project = new_project(tmp_path / "proj", service="chat-dev", src=str(template)).dest
    if not (project / ".git").exists():
        git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "--allow-empty", "-m", "generated")

    uv("sync", "-q", "--python", sys.executable, cwd=project)
    assert (project / ".venv").is_dir()
    assert git(project, "status", "--porcelain").splitlines() == ["?? uv.lock"]
    git(project, "add", "uv.lock")
    git(project, "commit", "-q", "-m", "Lock dependencies")
    lock = (project / "uv.lock").read_bytes()

    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nv2\n", encoding="utf-8")
    git(template, "commit", "-q", "-am", "v2")
    git(template, "tag", "v2")
    assert check_project(project).update_available
    assert update_project(project).to_version == "v2"
    assert (project / "uv.lock").read_bytes() == lock
    assert (project / "README.md").read_text(encoding="utf-8").endswith("\nv2\n")
