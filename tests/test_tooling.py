"""The generated project's tooling: GitHub workflow, pre-commit hooks, pip and uv alike."""

import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Generate, require_package_index, run
from tests.test_e2e import choice_cases

WORKFLOW = Path(".github/workflows/ci.yml")
# Every feature combination, each Python version at least once (read from copier.yml).
CASES = choice_cases()
CHECK_WORKFLOW = [
    sys.executable,
    "-m",
    "check_jsonschema",
    "--builtin-schema",
    "vendor.github-workflows",
]


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("answers", CASES, ids=["-".join(case.values()) for case in CASES])
def test_workflow_is_valid_and_follows_the_answers(
    generate: Generate, answers: dict[str, str]
) -> None:
    project = generate(data=[f"{key}={value}" for key, value in answers.items()]).dest
    broadcast, python_version = answers["broadcast"], answers["python_version"]
    workflow_file = project / WORKFLOW
    run([*CHECK_WORKFLOW, workflow_file], project)
    job = load_yaml(workflow_file)["jobs"]["test"]
    steps = job["steps"]
    (setup,) = [step for step in steps if step.get("uses", "").startswith("actions/setup-python")]
    assert setup["with"]["python-version"] == python_version
    commands = "\n".join(step.get("run", "") for step in steps)
    for command in ("pip install -e '.[dev]'", "ruff check .", "ruff format --check .", "pytest"):
        assert command in commands
    if broadcast == "redis":
        assert job["services"]["redis"]["ports"] == ["6379:6379"]
        assert job["env"]["REDIS_URL"].startswith("redis://localhost:6379")
    else:
        assert "services" not in job
        assert "REDIS_URL" not in job.get("env", {})


def test_the_schema_check_is_not_vacuous(generate: Generate) -> None:
    """check-jsonschema does reject a workflow with a job that has no steps and no runner."""
    project = generate().dest
    broken = load_yaml(project / WORKFLOW)
    del broken["jobs"]["test"]["runs-on"]
    bad_file = project / "bad.yml"
    bad_file.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="exited 1"):
        run([*CHECK_WORKFLOW, bad_file], project)


def test_pre_commit_runs_ruff_and_catches_update_conflicts(generate: Generate) -> None:
    config = load_yaml(generate().dest / ".pre-commit-config.yaml")
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "check-merge-conflict"} <= set(hooks)
    # Without it the hook only looks during a git merge, and `copier update` is not one.
    assert "--assume-in-merge" in hooks["check-merge-conflict"]["args"]
    assert all(repo["rev"].startswith("v") for repo in config["repos"])


def test_pip_extra_and_uv_group_list_the_same_tools(generate: Generate) -> None:
    pyproject = tomllib.loads((generate().dest / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"]["optional-dependencies"]["dev"]
    assert extra
    assert pyproject["dependency-groups"]["dev"] == extra


def test_lock_file_is_user_owned() -> None:
    config = load_yaml(Path(__file__).parent.parent / "copier.yml")
    assert "uv.lock" in config["_skip_if_exists"]


@pytest.mark.e2e
def test_uv_run_pytest(generate: Generate) -> None:
    """What the README promises uv users: `uv run pytest` installs the dev group and passes."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (pip install uv)")
    require_package_index()
    project = generate().dest
    command = [uv, "run", "--python", sys.executable, "pytest", "-q", "-p", "no:cacheprovider"]
    output = run(command, project, timeout=300)
    assert " passed" in output
    assert " failed" not in output
    assert (project / "uv.lock").is_file()
