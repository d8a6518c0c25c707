"""A package name must never hide a module the generated project imports or installs.

`fastgen new X --package jwt --data auth=jwt` once made a project whose own package shadowed
PyJWT. copier.yml refuses a list of names; these tests keep that list in step with the
template's dependencies, for every combination of the template's choices.
"""

import ast
import importlib.metadata as metadata
import itertools
import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from fastgen.errors import UsageError
from fastgen.generate import new_project
from tests.conftest import COPIER_YML, REPO_ROOT, choices_of, load_questions

CHOICE_QUESTIONS = sorted(name for name, spec in load_questions().items() if spec.get("choices"))
COMBINATIONS = list(itertools.product(*(choices_of(name) for name in CHOICE_QUESTIONS)))


def refused_names() -> set[str]:
    """The names copier.yml's package_name validator refuses (its `in [...]` list)."""
    validator = load_questions()["package_name"]["validator"]
    match = re.search(r"package_name in (\[.*?\])", validator, re.DOTALL)
    assert match, validator
    return set(ast.literal_eval(match.group(1)))


def package_name_pattern() -> re.Pattern[str]:
    """The pattern copier.yml's package_name validator requires a name to match first."""
    validator = load_questions()["package_name"]["validator"]
    match = re.search(r"package_name \| regex_search\('(.+?)'\)", validator)
    assert match, validator
    return re.compile(match.group(1))


def project_requirements(pyproject: Path) -> list[Requirement]:
    """Every requirement a generated pyproject.toml declares: runtime, extras and groups."""
    config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    lines = list(config["project"]["dependencies"])
    for extra in config["project"].get("optional-dependencies", {}).values():
        lines += extra
    for group in config.get("dependency-groups", {}).values():
        lines += [line for line in group if isinstance(line, str)]
    return [Requirement(line) for line in lines]


def top_level_modules(requirements: list[Requirement]) -> dict[str, str]:
    """Import name -> the distribution installing it, over the installed dependency closure.

    Reads the installed distributions' metadata (``packages_distributions()``, built from
    ``top_level.txt`` or the RECORD): the test environment installs every option's
    dependencies (fastgen's ``test`` extra).
    """
    modules_of: dict[str, set[str]] = {}
    for module, dists in metadata.packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(canonicalize_name(dist), set()).add(module)
    found: dict[str, str] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    pending = list(requirements)
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, tuple(sorted(requirement.extras)))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{requirement.name} is not installed: pip install -e '.[test]'")
        for module in modules_of.get(name, ()):
            found.setdefault(module, requirement.name)
        for line in dist.requires or []:
            needed = Requirement(line)
            extras = requirement.extras or {""}
            if needed.marker is None or any(
                needed.marker.evaluate({**default_environment(), "extra": extra})
                for extra in extras
            ):
                pending.append(needed)
    return found


def test_the_refused_list_is_read() -> None:
    assert {"tests", "fastapi", "jwt", "redis", "pydantic_settings"} <= refused_names()
    pattern = package_name_pattern()
    assert pattern.search("chat_dev")
    assert not pattern.search("6ec57f84c680d3a3778b__mypyc")


@pytest.mark.parametrize(
    "answers", COMBINATIONS, ids=["-".join(combination) for combination in COMBINATIONS]
)
def test_every_installed_module_is_refused(tmp_path: Path, answers: tuple[str, ...]) -> None:
    data = [f"{name}={value}" for name, value in zip(CHOICE_QUESTIONS, answers, strict=True)]
    project = new_project(tmp_path / "p", service="chat-dev", data=data, src=str(REPO_ROOT)).dest
    modules = top_level_modules(project_requirements(project / "pyproject.toml"))
    assert {"fastapi", "pydantic", "uvicorn", "pytest"} <= set(modules)
    # A module that is no package name at all needs no entry: the pattern refuses it already
    # (mypy's compiled code comes as a top-level `<hash>__mypyc`, a new hash per release).
    pattern = package_name_pattern()
    missing = {
        module: dist
        for module, dist in modules.items()
        if module not in refused_names() and pattern.search(module)
    }
    assert not missing, (
        f"add these to package_name's refused list in {COPIER_YML.name} (module: distribution)"
        f": {missing}"
    )


@pytest.mark.parametrize(
    ("package", "data"),
    [("jwt", "auth=jwt"), ("redis", "broadcast=redis"), ("pydantic_settings", "auth=static")],
)
def test_a_shadowing_package_is_refused(tmp_path: Path, package: str, data: str) -> None:
    with pytest.raises(UsageError, match=f"'{package}' would shadow the module {package}"):
        new_project(tmp_path / "p", service="chat-dev", package=package, data=[data])
    assert list(tmp_path.iterdir()) == []
