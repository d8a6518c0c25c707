"""End to end: generate projects over the template's real choices, then run *their* checks."""

import itertools
import sys
import venv
from pathlib import Path
from typing import Any

import pytest

from fastgen.generate import new_project
from tests.conftest import (
    REPO_ROOT,
    WITHOUT_LONG_RUNS,
    build_wheel,
    choices_of,
    full_run,
    installed_fastgen,
    load_questions,
    make_template_repo,
    require_package_index,
    run,
    run_project_checks,
    wheel_venv,
)

pytestmark = pytest.mark.e2e


def choice_cases(full: bool | None = None) -> list[dict[str, str]]:
    """Answer sets over the template's real choices, read from copier.yml (a new choice
    question is covered without touching this test).

    The full matrix (``--full``): every combination of the feature choices, each Python
    version used at least once. The fast loop: each feature choice at least once on the
    lowest Python (case i takes choice i of each question, wrapping around), then each other
    Python version once with the first case's features.
    """
    questions = load_questions()
    choices = {
        name: [str(c) for c in spec["choices"]]
        for name, spec in questions.items()
        if "choices" in spec
    }
    pythons = choices.pop("python_version")
    if not (full_run() if full is None else full):
        count = max(len(values) for values in choices.values())
        cases = [
            {name: values[i % len(values)] for name, values in choices.items()}
            for i in range(count)
        ]
        return [
            *({**case, "python_version": pythons[0]} for case in cases),
            *({**cases[0], "python_version": python} for python in pythons[1:]),
        ]
    features = [
        dict(zip(choices, combo, strict=True)) for combo in itertools.product(*choices.values())
    ]
    count = max(len(features), len(pythons))
    return [
        {**features[i % len(features)], "python_version": pythons[i % len(pythons)]}
        for i in range(count)
    ]


CASES = choice_cases()


# The fast loop runs the suites on the lowest Python only: the other versions change the
# lint and type targets, which tests/test_tooling.py checks for every case.
SUITE_CASES = [
    case
    for case in CASES
    if full_run() or case["python_version"] == choices_of("python_version")[0]
]

# How the matrix's projects are named. Every suite run costs minutes, so the full matrix's
# projects also carry the naming cases instead of running suites of their own: a production
# name (debug off: the generated tests must not depend on it; a "test" name switches debug
# on as "dev" does) for every auth, and long names with unusual texts.
DEV = {"service": "chat-dev"}
PRODUCTION = {"service": "chat"}
LONG_NAMES = {
    "dest": "Long Project Name",
    "service": "s" + "-long" * 7 + "-dev",
    "package": "p" * 40,
    "data": [
        'description=Says "hi" \\ in quotes',
        'author_name=O\'Brien "Bob"',
        "echo_prefix=" + "'\"\\{}%" * 8,
        "echo_farewell=再见 \"'\\ bye",
    ],
}


def naming(index: int, count: int) -> dict[str, Any]:
    """The loop: every project is chat-dev. The full matrix: the first chat-dev, the last
    long names, the others production names (one per auth, checked below)."""
    if not full_run() or index == 0:
        return DEV
    return LONG_NAMES if index == count - 1 else PRODUCTION


NAMINGS = [naming(index, len(SUITE_CASES)) for index in range(len(SUITE_CASES))]


def case_id(answers: dict[str, str], names: dict[str, Any]) -> str:
    label = {id(DEV): "dev", id(PRODUCTION): "production", id(LONG_NAMES): "long-names"}
    return "-".join([*answers.values(), label[id(names)]])


@pytest.mark.parametrize(
    ("answers", "names"),
    list(zip(SUITE_CASES, NAMINGS, strict=True)),
    ids=[case_id(answers, names) for answers, names in zip(SUITE_CASES, NAMINGS, strict=True)],
)
def test_generated_project_passes_its_own_checks(
    tmp_path: Path, answers: dict[str, str], names: dict[str, Any]
) -> None:
    project = new_project(
        tmp_path / names.get("dest", "proj"),
        service=names["service"],
        package=names.get("package"),
        data=[*names.get("data", []), *(f"{key}={value}" for key, value in answers.items())],
    ).dest
    # The one place the long runs (the client under chaos, the Redis failovers) run: once per
    # combination, in the full matrix (minutes per project; the contributor loop leaves them to CI).
    run_project_checks(project, long_runs=full_run())


@pytest.mark.full
def test_the_full_matrix_names_a_production_project_for_every_auth() -> None:
    production = {
        answers["auth"]
        for answers, names in zip(SUITE_CASES, NAMINGS, strict=True)
        if names is PRODUCTION
    }
    assert production == set(choices_of("auth"))
    assert LONG_NAMES in NAMINGS


def test_same_tree_as_plain_copier(tmp_path: Path) -> None:
    template = make_template_repo(tmp_path / "template")
    data = ["service_name=chat-dev", "project_name=same", "python_version=3.12"]
    via_fastgen = new_project(
        tmp_path / "a" / "same", data=data, src=str(template), vcs_ref="HEAD"
    ).dest
    args: list[Any] = [sys.executable, "-m", "copier", "copy", "--defaults", "--vcs-ref", "HEAD"]
    for pair in data:
        args += ["--data", pair]
    (tmp_path / "b").mkdir()
    run([*args, template, tmp_path / "b" / "same"], tmp_path)
    via_copier = tmp_path / "b" / "same"
    assert tree(via_fastgen) == tree(via_copier)


def tree(root: Path) -> dict[str, bytes]:
    """A project's files by relative path, without its git repository (if it was made one)."""
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).parts[0] != ".git"
    }


@pytest.mark.full
def test_fresh_venv_install_as_the_readme_says(tmp_path: Path) -> None:
    """`pip install -e '.[dev]'` then `pytest` in a brand-new virtual environment."""
    project = new_project(tmp_path / "fresh", service="fresh-dev").dest
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert "pip install -e '.[dev]'" in readme
    require_package_index()
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    run([python, "-m", "pip", "install", "-q", "-e", ".[dev]"], project, timeout=900)
    output = run(
        [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *WITHOUT_LONG_RUNS], project
    )
    assert " passed" in output
    assert " failed" not in output


@pytest.mark.full
def test_installed_wheel_generates_offline_from_any_folder(tmp_path: Path) -> None:
    """The wheel carries copier.yml and template/: `fastgen new` needs no checkout."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel = build_wheel(REPO_ROOT, wheels)
    env_dir = wheel_venv(tmp_path)
    pip_install = [env_dir / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps"]
    run([*pip_install, "--no-index", wheel], tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    completed = installed_fastgen(
        env_dir, "new", "wheelproj", "--service", "chat-dev", cwd=elsewhere
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    answers = (elsewhere / "wheelproj" / ".copier-answers.yml").read_text(encoding="utf-8")
    assert str(REPO_ROOT) not in answers
    # The same files as this checkout generates, whose suite the matrix runs: the wheel
    # left nothing of the template behind (only where the template came from differs).
    from_checkout = new_project(tmp_path / "checkout" / "wheelproj", service="chat-dev").dest
    from_wheel = tree(elsewhere / "wheelproj")
    assert from_wheel.keys() == tree(from_checkout).keys()
    for name, content in tree(from_checkout).items():
        if name != ".copier-answers.yml":
            assert from_wheel[name] == content, name
    run([sys.executable, "-m", "ruff", "check", "."], elsewhere / "wheelproj")
