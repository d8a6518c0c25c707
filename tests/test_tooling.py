"""The generated project's tooling, each file checked by the tool that reads it.

The GitHub workflow against its JSON schema and with actionlint, the Dockerfile with hadolint
(and its build context through `.dockerignore`), the pre-commit hooks validated and really run,
the code type-checked by mypy as its CI does (and fastgen's own code too), offline; pip and uv
alike. Every linter is also shown a deliberately broken file, so that a pass means something.
The linters' binaries come from fastgen's `test` extra.
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from fastgen.generate import new_project
from tests.conftest import REPO_ROOT, WITHOUT_LONG_RUNS, Generate, git, require_package_index, run
from tests.test_e2e import choice_cases

WORKFLOW = Path(".github/workflows/ci.yml")
# Every feature combination, each Python version at least once (read from copier.yml).
CASES = choice_cases()
CASE_IDS = ["-".join(case.values()) for case in CASES]
CHECK_WORKFLOW = [
    sys.executable,
    "-m",
    "check_jsonschema",
    "--builtin-schema",
    "vendor.github-workflows",
]
# Where pip put the test extra's console scripts (actionlint, hadolint, pre-commit, ruff).
SCRIPTS = Path(sysconfig.get_path("scripts"))
PRE_COMMIT = [sys.executable, "-m", "pre_commit"]
# What copier writes into a file when an update conflicts with the user's edit.
CONFLICT = "<<<<<<< before updating\nx = 1\n=======\nx = 2\n>>>>>>> after updating\n"


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def lint(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a linter offline and hand back its result: tests assert passes and failures alike.

    The test extra's scripts come first on PATH, so pre-commit's `system` hooks find this
    environment's ruff; pre-commit's store lives next to the project, and hadolint reads no
    user settings (its HADOLINT_* variables are dropped; the tests pass an empty config).
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("HADOLINT_")}
    env |= {
        "PATH": f"{SCRIPTS}{os.pathsep}{env.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(cwd.parent / ".pre-commit-home"),
        "NO_COLOR": "1",
    }
    return subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def actionlint(workflow: Path) -> subprocess.CompletedProcess[str]:
    return lint(SCRIPTS / "actionlint", "-no-color", "-oneline", workflow, cwd=workflow.parent)


def hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    """hadolint at its default failure threshold (`info`: any finding fails), no user config."""
    config = dockerfile.parent.parent / "hadolint-defaults.yaml"
    config.write_text("{}\n", encoding="utf-8")
    hadolint_bin = SCRIPTS / "hadolint"
    return lint(hadolint_bin, "--no-color", "--config", config, dockerfile, cwd=config.parent)


@pytest.fixture(scope="module", params=CASES, ids=CASE_IDS)
def case(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One generated project per option combination, shared by the read-only checks below."""
    answers: dict[str, str] = request.param
    data = [f"{key}={value}" for key, value in answers.items()]
    dest = tmp_path_factory.mktemp("tooling") / "proj"
    return answers, new_project(dest, service="chat-dev", data=data).dest


# The GitHub workflow.


def test_workflow_is_valid_and_follows_the_answers(case: tuple[dict[str, str], Path]) -> None:
    answers, project = case
    broadcast, python_version = answers["broadcast"], answers["python_version"]
    workflow_file = project / WORKFLOW
    run([*CHECK_WORKFLOW, workflow_file], project, timeout=120)
    job = load_yaml(workflow_file)["jobs"]["test"]
    steps = job["steps"]
    (setup,) = [step for step in steps if step.get("uses", "").startswith("actions/setup-python")]
    assert setup["with"]["python-version"] == python_version
    commands = "\n".join(step.get("run", "") for step in steps)
    for command in ("pip install -e '.[dev]'", "ruff check .", "ruff format --check .", "pytest"):
        assert command in commands
    assert "mypy" in commands.splitlines()
    if broadcast == "redis":
        assert job["services"]["redis"]["ports"] == ["6379:6379"]
        assert job["env"]["REDIS_URL"].startswith("redis://localhost:6379")
    else:
        assert "services" not in job
        assert "REDIS_URL" not in job.get("env", {})


def test_actionlint_finds_nothing(case: tuple[dict[str, str], Path]) -> None:
    result = actionlint(case[1] / WORKFLOW)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("line", "broken", "finding"),
    [
        # The generated CI of fastgen 0.x: actions on node20, which GitHub Actions removed.
        ("actions/checkout@v7", "actions/checkout@v4", 'runtime "node20" is deprecated'),
        ("cache: pip", "cache-it: pip", 'input "cache-it" is not defined'),
    ],
)
def test_actionlint_rejects_a_broken_workflow(
    generate: Generate, line: str, broken: str, finding: str
) -> None:
    workflow = generate().dest / WORKFLOW
    text = workflow.read_text(encoding="utf-8")
    assert line in text
    workflow.write_text(text.replace(line, broken), encoding="utf-8")
    result = actionlint(workflow)
    assert result.returncode == 1
    assert finding in result.stdout


def test_the_schema_check_is_not_vacuous(generate: Generate) -> None:
    """check-jsonschema does reject a workflow with a job that has no steps and no runner."""
    project = generate().dest
    broken = load_yaml(project / WORKFLOW)
    del broken["jobs"]["test"]["runs-on"]
    bad_file = project / "bad.yml"
    bad_file.write_text(yaml.safe_dump(broken), encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match="exited 1"):
        run([*CHECK_WORKFLOW, bad_file], project, timeout=120)


# The Dockerfile and its build context.


def stages(dockerfile: Path) -> list[list[str]]:
    """The Dockerfile's instructions (continuation lines joined), split at each FROM."""
    text = re.sub(r"\\\n\s*", " ", dockerfile.read_text(encoding="utf-8"))
    instructions = [line.strip() for line in text.splitlines()]
    result: list[list[str]] = []
    for instruction in instructions:
        if instruction.startswith("FROM "):
            result.append([])
        if result and instruction and not instruction.startswith("#"):
            result[-1].append(instruction)
    return result


def test_hadolint_finds_nothing(case: tuple[dict[str, str], Path]) -> None:
    result = hadolint(case[1] / "Dockerfile")
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.parametrize(
    ("line", "broken", "rule"),
    [
        ("USER 10001:10001", "USER app", "DL3066"),  # an `info` finding fails too
        ("pip install uv==", "pip install uv #", "DL3013"),  # an unpinned package
        ("COPY --from=build", "COPY --from=builder", "DL3022"),  # a stage that does not exist
    ],
)
def test_hadolint_rejects_a_broken_dockerfile(
    generate: Generate, line: str, broken: str, rule: str
) -> None:
    dockerfile = generate().dest / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    assert line in text
    dockerfile.write_text(text.replace(line, broken, 1), encoding="utf-8")
    result = hadolint(dockerfile)
    assert result.returncode == 1
    assert rule in result.stdout


def test_image_is_small_unprivileged_locked_and_health_checked(
    case: tuple[dict[str, str], Path],
) -> None:
    answers, project = case
    build, final = stages(project / "Dockerfile")
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    assert f"ARG PYTHON_IMAGE=python:{answers['python_version']}-slim" in text
    assert build[0] == "FROM ${PYTHON_IMAGE} AS build"
    assert final[0] == "FROM ${PYTHON_IMAGE}"
    # The lock file is used when there is one, and must match pyproject.toml.
    assert "COPY pyproject.toml uv.lock* ./" in build
    syncs = [step for step in build if "uv sync" in step]
    assert syncs
    assert all("--locked" in step and "--no-dev" in step for step in syncs)
    # The final stage gets the environment only: no installer, no sources, no build tools.
    assert not [step for step in final if step.startswith(("RUN pip", "RUN uv", "ADD"))]
    assert [step for step in final if step.startswith("COPY")] == [
        "COPY --from=build /app/.venv /app/.venv"
    ]
    (user,) = [step for step in final if step.startswith("USER ")]
    assert re.fullmatch(r"USER [1-9]\d*:[1-9]\d*", user)
    (health,) = [step for step in final if step.startswith("HEALTHCHECK ")]
    assert "urllib.request" in health
    assert "/api/health" in health
    assert final[-1] == f'CMD ["python", "-m", "{project.name}"]'


def test_readme_says_how_the_tooling_was_checked(generate: Generate) -> None:
    """No container engine runs in this suite: the docs must not suggest a tested build."""
    docs = generate().dest / "docs"
    deployment = (docs / "deployment.md").read_text(encoding="utf-8")
    tooling = (docs / "tooling.md").read_text(encoding="utf-8")
    for claim in ("hadolint Dockerfile", "No image was built"):
        assert claim in deployment
    for claim in ("actionlint", "pre-commit run"):
        assert claim in tooling


def docker_pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as Docker matches it: `*` and `?` stay in one path segment,
    `**` spans any number of them, and a pattern is anchored at the context's root."""
    regex, rest = "", pattern.strip("/")
    tokens = (("**/", "(?:.*/)?"), ("**", ".*"), ("*", "[^/]*"), ("?", "[^/]"))
    while rest:
        for token, replacement in tokens:
            if rest.startswith(token):
                regex, rest = regex + replacement, rest[len(token) :]
                break
        else:
            if rest[0] == "[":
                end = rest.index("]") + 1
                regex, rest = regex + rest[:end], rest[end:]
            else:
                regex, rest = regex + re.escape(rest[0]), rest[1:]
    return re.compile(regex)


def ignored(patterns: list[str], path: str) -> bool:
    """Whether Docker leaves `path` out of the build context (the last matching line wins;
    a pattern that matches a folder leaves out everything in it)."""
    parents = ["/".join(path.split("/")[:depth]) for depth in range(1, path.count("/") + 2)]
    result = False
    for line in patterns:
        negated = line.startswith("!")
        if any(docker_pattern(line.removeprefix("!")).fullmatch(p) for p in parents):
            result = not negated
    return result


def test_dockerignore_keeps_what_the_build_copies_and_nothing_secret(generate: Generate) -> None:
    project = generate().dest
    package = project.name
    lines = (project / ".dockerignore").read_text(encoding="utf-8").splitlines()
    patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    # What a working copy holds besides the generated files.
    local = [".env", ".venv/bin/python", f"{package}/__pycache__/main.cpython-311.pyc", "uv.lock"]
    files = [p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()]
    context = {path for path in [*files, *local] if not ignored(patterns, path)}
    copied = [
        source.rstrip("*")
        for step in stages(project / "Dockerfile")[0]
        if step.startswith("COPY ")
        for source in step.split()[1:-1]
    ]
    for source in copied:
        assert any(path == source or path.startswith(f"{source}/") for path in context), source
    waste = ["tests/conftest.py", "docs/protocol.md", local[2]]
    for secret_or_waste in [".env", ".venv/bin/python", *waste]:
        assert secret_or_waste not in context
    # The matcher itself: a plain name is matched at the top level only.
    assert not ignored(["__pycache__"], local[2])


# mypy.


def mypy(project: Path) -> subprocess.CompletedProcess[str]:
    """`mypy` in `project` as its CI runs it: no arguments, the project's own configuration."""
    return lint(sys.executable, "-m", "mypy", cwd=project)


def test_mypy_finds_nothing(case: tuple[dict[str, str], Path]) -> None:
    """The package, its Python client and its tests, fully annotated, for the project's Python."""
    answers, project = case
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    config = pyproject["tool"]["mypy"]
    assert config["python_version"] == answers["python_version"]
    assert config["files"] == [project.name, f"clients/python/{project.name}_client", "tests"]
    assert config["disallow_untyped_defs"] is True
    result = mypy(project)
    assert (result.returncode, result.stderr) == (0, ""), result.stdout + result.stderr
    assert result.stdout.startswith("Success: no issues found"), result.stdout


def test_mypy_rejects_untyped_or_mistyped_code(generate: Generate) -> None:
    """In the package and in the tests alike; an ignore that ignores nothing is reported too,
    so that none outlives its reason."""
    project = generate().dest
    broken = {
        f"{project.name}/untyped.py": ("def untyped(value):\n    return value\n", "no-untyped-def"),
        f"{project.name}/mistyped.py": ("def one() -> int:\n    return '1'\n", "return-value"),
        "tests/stale_ignore.py": ("X: int = 1  # type: ignore[assignment]\n", "unused-ignore"),
    }
    for path, (code, _) in broken.items():
        (project / path).write_text(code, encoding="utf-8")
    result = mypy(project)
    assert result.returncode == 1
    for path, (_, code) in broken.items():
        finding = rf"^{re.escape(path)}:\d+: error: .*\[{code}\]$"
        assert re.search(finding, result.stdout, flags=re.MULTILINE), result.stdout


def test_mypy_finds_nothing_in_fastgen_and_the_bench(tmp_path: Path) -> None:
    """fastgen's own code, with the repository's configuration (its `[tool.mypy]`)."""
    command = [sys.executable, "-m", "mypy", "--cache-dir", tmp_path, "generator/fastgen", "bench"]
    output = run(command, REPO_ROOT, timeout=300)
    assert output.startswith("Success: no issues found"), output


def test_ruff_finds_nothing_in_fastgen(tmp_path: Path) -> None:
    """fastgen's own code, tests and bench: lint and format, with the repository's `[tool.ruff]`."""
    cache = ["--cache-dir", tmp_path]
    run([sys.executable, "-m", "ruff", "check", *cache, "."], REPO_ROOT)
    run([sys.executable, "-m", "ruff", "format", "--check", *cache, "."], REPO_ROOT)


# pre-commit.


def test_pre_commit_hooks_are_local_ruff_mypy_and_conflict_markers(generate: Generate) -> None:
    config = load_yaml(generate().dest / ".pre-commit-config.yaml")
    # Nothing to download: the hooks run offline, with the project's own ruff.
    assert {repo["repo"] for repo in config["repos"]} <= {"local", "meta"}
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy", "check-merge-conflict"} <= set(hooks)
    assert hooks["ruff-check"]["entry"].startswith("ruff check")
    assert hooks["ruff-format"]["entry"].startswith("ruff format")
    # mypy checks the files pyproject.toml names, together: never a commit's files alone.
    assert (hooks["mypy"]["entry"], hooks["mypy"]["pass_filenames"]) == ("mypy", False)
    # A pattern run on every file at every commit, not only during a git merge (the update's
    # conflict markers are not one): what pre-commit-hooks' `--assume-in-merge` was for.
    assert hooks["check-merge-conflict"]["language"] == "pygrep"


def pre_commit_project(project: Path) -> Path:
    """The project as a git repository with every file staged: what pre-commit looks at."""
    git(project, "init", "-q")
    git(project, "add", "-A")
    return project


def test_pre_commit_config_validates_and_its_hooks_pass(case: tuple[dict[str, str], Path]) -> None:
    project = pre_commit_project(case[1])
    validated = lint(*PRE_COMMIT, "validate-config", ".pre-commit-config.yaml", cwd=project)
    assert (validated.returncode, validated.stdout + validated.stderr) == (0, "")
    result = lint(*PRE_COMMIT, "run", "--all-files", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = re.findall(r"^(.+?)\.+Passed$", result.stdout, flags=re.MULTILINE)
    assert {"ruff check", "ruff format", "mypy", "leftover conflict markers"} <= set(passed)


def test_pre_commit_rejects_a_broken_config(generate: Generate) -> None:
    project = generate().dest
    config = project / ".pre-commit-config.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("entry: ruff format", "entri: ruff format"), encoding="utf-8")
    result = lint(*PRE_COMMIT, "validate-config", config.name, cwd=project)
    assert result.returncode == 1
    assert "Missing required key: entry" in result.stdout


@pytest.mark.parametrize("where", ["README.md", "tests/conftest.py"])
def test_pre_commit_catches_conflict_markers_a_template_update_leaves(
    generate: Generate, where: str
) -> None:
    project = pre_commit_project(generate().dest)
    with (project / where).open("a", encoding="utf-8") as file:
        file.write(CONFLICT)
    result = lint(*PRE_COMMIT, "run", "check-merge-conflict", "--all-files", cwd=project)
    assert result.returncode == 1
    assert f"{where}:" in result.stdout
    assert "<<<<<<< before updating" in result.stdout


def test_pre_commit_runs_ruff(generate: Generate) -> None:
    project = pre_commit_project(generate().dest)
    messy = project / "tests" / "test_messy.py"
    messy.write_text("x=undefined_name\n", encoding="utf-8")
    git(project, "add", "-A")
    result = lint(*PRE_COMMIT, "run", "--all-files", cwd=project)
    assert result.returncode == 1
    assert "F821" in result.stdout  # ruff check: a name that is never defined
    assert "1 file reformatted" in result.stdout  # ruff format: `x=` without spaces


# pip and uv.


def test_pip_extra_and_uv_group_list_the_same_tools(generate: Generate) -> None:
    pyproject = tomllib.loads((generate().dest / "pyproject.toml").read_text(encoding="utf-8"))
    extra = pyproject["project"]["optional-dependencies"]["dev"]
    assert extra
    assert pyproject["dependency-groups"]["dev"] == extra


def test_lock_file_is_user_owned() -> None:
    config = load_yaml(Path(__file__).parent.parent / "copier.yml")
    assert "uv.lock" in config["_skip_if_exists"]


@pytest.mark.e2e
@pytest.mark.full
def test_uv_run_pytest(generate: Generate) -> None:
    """What the README promises uv users: `uv run pytest` installs the dev group and passes."""
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not installed (pip install uv)")
    require_package_index()
    project = generate().dest
    command = [uv, "run", "--python", sys.executable, "pytest", "-q", "-p", "no:cacheprovider"]
    command += WITHOUT_LONG_RUNS
    output = run(command, project, timeout=300)
    assert " passed" in output
    assert " failed" not in output
    assert (project / "uv.lock").is_file()
