"""One source of truth for dependencies: fastgen's ``test`` extra covers every generated project.

The end-to-end tests run generated projects' suites with the interpreter that runs these
tests, so whatever a generated project declares (runtime dependencies and its ``dev``
tools) must be installed by ``pip install -e '.[test]'``. A dependency added to the
template but not to the extra turns this red before any user meets a ModuleNotFoundError.
"""

import tomllib
from collections.abc import Iterable
from importlib import metadata

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.conftest import REPO_ROOT, Generate
from tests.test_e2e import choice_cases

CASES = choice_cases()
# Operators whose version is the lowest one a specifier admits.
LOWER_BOUND_OPERATORS = {">=", "==", "~=", "==="}


def fastgen_test_extra() -> dict[str, Requirement]:
    """fastgen's ``test`` extra, by canonical distribution name."""
    pyproject = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = map(Requirement, pyproject["project"]["optional-dependencies"]["test"])
    return {canonicalize_name(req.name): req for req in requirements}


def project_requirements(pyproject: dict) -> list[Requirement]:
    """A generated project's runtime dependencies, its ``dev`` extra and ``dev`` group."""
    project = pyproject["project"]
    texts = [
        *project.get("dependencies", []),
        *project.get("optional-dependencies", {}).get("dev", []),
        *pyproject.get("dependency-groups", {}).get("dev", []),
    ]
    return [Requirement(text) for text in texts]


def lowest_version(specifier: SpecifierSet) -> Version | None:
    """The lowest version `specifier` names as admitted (None when it sets no lower bound)."""
    bounds = [Version(spec.version) for spec in specifier if spec.operator in LOWER_BOUND_OPERATORS]
    return max(bounds, default=None)


def uncovered(needed: Iterable[Requirement], provided: dict[str, Requirement]) -> list[str]:
    """Why each of `needed` is not covered by `provided` (an empty list when all are).

    Covered means: the same distribution, at least the same extras, a lowest admitted
    version that the project's specifier accepts, every upper bound of the project's
    specifier kept, and an installed version that satisfies both.
    """
    problems = []
    for req in needed:
        name = canonicalize_name(req.name)
        have = provided.get(name)
        if have is None:
            problems.append(f"{req}: missing from fastgen's test extra")
            continue
        if missing_extras := req.extras - have.extras:
            problems.append(f"{req}: the test extra lacks extras {sorted(missing_extras)}")
        lowest = lowest_version(have.specifier)
        if req.specifier and (lowest is None or not req.specifier.contains(lowest, True)):
            problems.append(f"{req}: the test extra's {have} admits versions the project refuses")
        for spec in req.specifier:
            if spec.operator in {"<", "<="} and have.specifier.contains(spec.version, True):
                problems.append(f"{req}: the test extra's {have} drops the bound {spec}")
        try:
            installed = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{req}: not installed (pip install -e '.[test]')")
            continue
        for spec in (req.specifier, have.specifier):
            if not spec.contains(installed, True):
                problems.append(f"{req}: installed {installed} does not satisfy {spec}")
    return problems


@pytest.mark.parametrize("answers", CASES, ids=["-".join(case.values()) for case in CASES])
def test_generated_dependencies_are_in_the_test_extra(
    generate: Generate, answers: dict[str, str]
) -> None:
    project = generate(data=[f"{key}={value}" for key, value in answers.items()]).dest
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    needed = project_requirements(pyproject)
    assert needed
    assert uncovered(needed, fastgen_test_extra()) == []


def mypy_plugin_sources(pyproject: dict) -> dict[str, set[str]]:
    """Each mypy plugin the project's ``[tool.mypy]`` loads → the installed distributions that
    provide its top-level module (by canonical name; empty when none does)."""
    plugins = pyproject.get("tool", {}).get("mypy", {}).get("plugins", [])
    providers = metadata.packages_distributions()
    return {
        plugin: {canonicalize_name(dist) for dist in providers.get(plugin.split(".")[0], [])}
        for plugin in plugins
    }


@pytest.mark.parametrize("answers", CASES, ids=["-".join(case.values()) for case in CASES])
def test_the_type_check_needs_nothing_undeclared(
    generate: Generate, answers: dict[str, str]
) -> None:
    """The project's mypy, and every plugin its configuration loads, come with its own
    dependencies (so, by the test above, with the test extra): `mypy` runs after
    ``pip install -e '.[dev]'`` alone, in its CI as in fastgen's tests."""
    project = generate(data=[f"{key}={value}" for key, value in answers.items()]).dest
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {canonicalize_name(req.name) for req in project_requirements(pyproject)}
    assert "mypy" in pyproject["tool"]
    assert "mypy" in declared
    plugins = mypy_plugin_sources(pyproject)
    assert plugins
    for plugin, sources in plugins.items():
        assert sources & declared, f"mypy plugin {plugin}: from {sources or 'nothing installed'}"


def test_the_check_catches_a_missing_or_looser_dependency() -> None:
    """The check is not vacuous: each kind of gap is reported."""
    provided = {
        canonicalize_name(req.name): req
        for req in map(Requirement, ["orjson>=3.8", "uvicorn>=0.50", "redis>=5"])
    }
    needed = [
        Requirement("leftpad>=1"),
        Requirement("orjson>=3.9"),
        Requirement("uvicorn[standard]>=0.50"),
        Requirement("redis>=5,<6"),
    ]
    problems = uncovered(needed, provided)
    assert any(p.startswith("leftpad>=1: missing") for p in problems)
    assert any(p.startswith("orjson>=3.9: the test extra's orjson>=3.8 admits") for p in problems)
    assert any("lacks extras ['standard']" in p for p in problems)
    assert any("drops the bound <6" in p for p in problems)
    # A higher floor in the extra is fine (pytest: installed at or above both, as the extra says).
    assert uncovered([Requirement("pytest>=7")], {"pytest": Requirement("pytest>=8")}) == []


@pytest.mark.parametrize("answers", CASES, ids=["-".join(case.values()) for case in CASES])
def test_dev_extra_and_dependency_group_are_the_same(
    generate: Generate, answers: dict[str, str]
) -> None:
    """pip users (`.[dev]`) and uv users (the `dev` group) get the same tools, on every option,
    as the comment above the two lists asks."""
    project = generate(data=[f"{key}={value}" for key, value in answers.items()]).dest
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"]["optional-dependencies"]["dev"]
    assert extra
    assert pyproject["dependency-groups"]["dev"] == extra


def test_a_hanging_test_fails_instead_of_blocking(generate: Generate) -> None:
    """The generated dev tools carry pytest-timeout, and the project's pytest sets a timeout."""
    project = generate().dest
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    dev = {canonicalize_name(req.name) for req in project_requirements(pyproject)}
    assert "pytest-timeout" in dev
    timeout = pyproject["tool"]["pytest"]["ini_options"]["timeout"]
    assert 0 < timeout <= 300
