"""The fastgen command line: exit codes, one-line errors, and nothing half-written."""

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from fastgen import __version__
from fastgen.cli import app
from fastgen.exit_codes import MEANINGS, ExitCode, markdown_table
from fastgen.names import is_debug_name
from tests.conftest import REPO_ROOT, git, make_template_repo

runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def assert_one_line_error(exit_code: int, stderr: str, fragment: str) -> None:
    assert exit_code != 0
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error:")
    assert fragment in lines[0]
    assert "Traceback" not in stderr


def test_version() -> None:
    exit_code, stdout, _ = invoke("--version")
    assert exit_code == 0
    assert stdout.strip() == f"fastgen {__version__}"


def test_no_arguments_shows_help() -> None:
    exit_code, stdout, stderr = invoke()
    assert exit_code == 2
    assert "Commands:" in stdout + stderr
    assert "new" in stdout + stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["new", "x", "--bogus"], "No such option: --bogus"),
        (["--bogus"], "No such option: --bogus"),
        (["nope"], "No such command 'nope'"),
        (["new", "a", "b"], "unexpected extra argument"),
        (["add", "handler"], "Missing argument"),
        (["update", "--conflict", "zz"], "'zz' is not one of"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(args: list[str], fragment: str) -> None:
    exit_code, stdout, stderr = invoke(*args)
    assert exit_code == ExitCode.BAD_INPUT
    assert_one_line_error(exit_code, stderr, fragment)
    assert "Usage:" not in stdout + stderr


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from fastgen.cli import main\n"
        "sys.argv = ['fastgen', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({'copier', 'jinja2', 'fastapi', 'yaml', 'pydantic', 'rich'}"
        " & set(sys.modules))\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "HEAVY []" in out


def test_new_creates_a_project(tmp_path: Path) -> None:
    exit_code, stdout, _ = invoke("new", tmp_path / "myproj", "--service", "chat-dev", "--defaults")
    assert exit_code == 0, stdout
    project = tmp_path / "myproj"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["service_name"] == "chat-dev"
    assert answers["project_name"] == "myproj"
    assert answers["package_name"] == "myproj"
    assert (project / "myproj" / "main.py").is_file()
    assert "Created" in stdout
    assert "pip install -e '.[dev]'" in stdout


def test_dest_defaults_to_the_service_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    exit_code, _, _ = invoke("new", "--service", "chat-test", "--defaults")
    assert exit_code == 0
    assert (tmp_path / "chat-test" / "chat_test" / "main.py").is_file()


def test_package_and_data_options(tmp_path: Path) -> None:
    exit_code, _, _ = invoke(
        "new",
        tmp_path / "p",
        "--service",
        "billing",
        "--package",
        "billing_ws",
        "--data",
        "description=Bills over sockets",
        "-d",
        "python_version=3.12",
    )
    assert exit_code == 0
    pyproject = (tmp_path / "p" / "pyproject.toml").read_text(encoding="utf-8")
    assert 'description = "Bills over sockets"' in pyproject
    assert 'requires-python = ">=3.12"' in pyproject
    assert (tmp_path / "p" / "billing_ws" / "main.py").is_file()


def test_no_destination_and_no_service(tmp_path: Path) -> None:
    exit_code, _, stderr = invoke("new", "--defaults")
    assert_one_line_error(exit_code, stderr, "--service")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--service", "Bad_Name"], "service_name must be"),
        (["--service", "ok", "--package", "Not-An-Identifier"], "package_name must be"),
        (["--service", "ok", "--data", "colour=blue"], "valid keys: auth, author_email"),
        (["--service", "ok", "--data", "novalue"], "KEY=VALUE"),
        (["--service", "ok", "--src", "/no/such/template"], "not a template folder"),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(
    tmp_path: Path, args: list[str], fragment: str
) -> None:
    exit_code, _, stderr = invoke("new", tmp_path / "out", *args)
    assert_one_line_error(exit_code, stderr, fragment)
    assert list(tmp_path.iterdir()) == []


def test_non_empty_destination_is_refused_untouched(tmp_path: Path) -> None:
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    exit_code, _, stderr = invoke("new", dest, "--service", "chat-dev")
    assert_one_line_error(exit_code, stderr, "not empty")
    assert [p.name for p in dest.iterdir()] == ["notes.txt"]
    assert (dest / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_force_keeps_every_existing_file(tmp_path: Path) -> None:
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "README.md").write_text("my readme", encoding="utf-8")
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    exit_code, stdout, _ = invoke("new", dest, "--service", "chat-dev", "--force")
    assert exit_code == 0
    assert (dest / "README.md").read_text(encoding="utf-8") == "my readme"
    assert (dest / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (dest / "taken" / "main.py").is_file()
    assert "Kept 1 existing file" in stdout


def test_destination_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    exit_code, _, stderr = invoke("new", target, "--service", "chat-dev")
    assert_one_line_error(exit_code, stderr, "not a folder")


def test_empty_destination_folder_is_used(tmp_path: Path) -> None:
    dest = tmp_path / "empty"
    dest.mkdir()
    exit_code, _, _ = invoke("new", dest, "--service", "chat-dev")
    assert exit_code == 0
    assert (dest / "empty" / "main.py").is_file()


def test_missing_parent_folders_are_created(tmp_path: Path) -> None:
    exit_code, _, _ = invoke("new", tmp_path / "a" / "b" / "svc", "--service", "chat-dev")
    assert exit_code == 0
    assert (tmp_path / "a" / "b" / "svc" / "svc" / "main.py").is_file()
    leftovers = [p for p in tmp_path.rglob(".*fastgen-*")]
    assert leftovers == []


# --- exit codes: one rule, the README's table ---------------------------------------------


def readme_exit_code_table() -> str:
    """The table under the README's "Exit codes" heading."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    lines = text.split("### Exit codes", 1)[1].splitlines()
    table = itertools.dropwhile(lambda line: not line.startswith("|"), lines)
    return "\n".join(itertools.takewhile(lambda line: line.startswith("|"), table))


def test_readme_prints_the_exit_code_table() -> None:
    assert readme_exit_code_table() == markdown_table()


def test_help_states_the_exit_codes() -> None:
    exit_code, stdout, _ = invoke("--help")
    assert exit_code == ExitCode.OK
    flat = " ".join(stdout.split())
    for code, meaning in MEANINGS.items():
        assert f"{int(code)} {' '.join(meaning.replace('`', '').split())}" in flat


def readme_code(meaning_fragment: str) -> ExitCode:
    """The exit code whose README row mentions `meaning_fragment` (so tests read the table)."""
    for line in readme_exit_code_table().splitlines()[2:]:
        _, code, meaning, _ = line.split("|")
        if meaning_fragment in meaning:
            return ExitCode(int(code))
    raise AssertionError(f"no README exit code row mentions {meaning_fragment!r}")


@pytest.fixture
def versioned(tmp_path: Path) -> tuple[Path, Path]:
    """A template repository tagged v1.0.0 and v2.0.0, and a committed project at v2.0.0."""
    template = make_template_repo(tmp_path / "template", tag="v1.0.0")
    git(template, "commit", "-q", "--allow-empty", "-m", "two")
    git(template, "tag", "v2.0.0")
    exit_code, stdout, stderr = invoke("new", tmp_path / "proj", "-s", "chat", "--src", template)
    assert exit_code == 0, stdout + stderr
    return template, tmp_path / "proj"


def test_exit_codes_follow_the_readme(
    versioned: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template, project = versioned
    seen: set[ExitCode] = set()

    def expect(fragment: str, *args: str | Path) -> str:
        code = readme_code(fragment)
        exit_code, stdout, stderr = invoke(*args)
        assert exit_code == code, (args, stdout, stderr)
        seen.add(code)
        return stderr

    expect("success", "check", project)
    expect("an invalid answer", "new", tmp_path / "bad", "-s", "Bad_Name")
    expect("an invalid answer", "new", tmp_path / "bad", "-s", "ok", "-d", "auth=nope")
    expect("unknown `--data` key", "new", tmp_path / "bad", "-s", "ok", "-d", "colour=blue")
    expect("`--vcs-ref`", "update", project, "--vcs-ref", "v9")
    assert "v2.0.0, v1.0.0" in expect(
        "`--vcs-ref`", "new", tmp_path / "bad", "--vcs-ref", "nope", "-s", "x", "--src", template
    )
    assert "downgrades" in expect("a downgrade", "update", project, "--vcs-ref", "v1.0.0")
    expect("not a project", "update", tmp_path)
    expect("not a project", "check", tmp_path)
    (project / "wip.py").write_text("X = 1\n", encoding="utf-8")
    expect("a dirty git tree", "update", project)
    (project / "wip.py").unlink()
    git(template, "commit", "-q", "--allow-empty", "-m", "three")
    git(template, "tag", "v3.0.0")
    expect("`check` found a newer", "check", project)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("fastgen.generate.new_project", interrupted)
    assert expect("interrupted", "new", tmp_path / "stopped", "-s", "x").strip() == (
        "error: aborted; nothing was written"
    )
    assert seen == set(ExitCode)
    assert not (tmp_path / "bad").exists()


# --- fastgen new: git, the debug line, --help ---------------------------------------------


def test_new_commits_the_generated_files(tmp_path: Path) -> None:
    exit_code, stdout, _ = invoke("new", tmp_path / "svc", "-s", "chat")
    assert exit_code == 0, stdout
    project = tmp_path / "svc"
    message = f"Generate chat from fastgen v{__version__}"
    assert git(project, "log", "--format=%s").strip() == message
    assert git(project, "status", "--porcelain").strip() == ""
    assert ".env" not in git(project, "ls-files").split()  # ignored: the user's secrets
    assert f"first commit '{message}'" in stdout
    assert "git add" not in stdout


def test_new_inside_a_repository_makes_its_own_nested_one(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    exit_code, stdout, _ = invoke("new", tmp_path / "svc", "-s", "chat")
    assert exit_code == 0, stdout
    project = tmp_path / "svc"
    assert git(project, "rev-parse", "--show-toplevel").strip() == str(project)
    message = f"Generate chat from fastgen v{__version__}"
    assert git(project, "log", "--format=%s").strip() == message
    assert git(project, "status", "--porcelain").strip() == ""
    nested = [line for line in stdout.splitlines() if "nested inside" in line]
    assert nested == [
        f"Git: new repository nested inside the one at {tmp_path} (its own history; --no-git "
        f"skips it), first commit 'Generate chat from fastgen v{__version__}'"
    ]
    assert "git add" not in stdout


def test_no_git(tmp_path: Path) -> None:
    exit_code, stdout, _ = invoke("new", tmp_path / "svc", "-s", "chat", "--no-git")
    assert exit_code == 0, stdout
    assert not (tmp_path / "svc" / ".git").exists()
    assert "git init && git add -A && git commit" in stdout


def test_without_a_git_identity_the_repository_is_not_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.replace("AUTHOR", "COMMITTER"), raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    exit_code, stdout, _ = invoke("new", tmp_path / "svc", "-s", "chat")
    assert exit_code == 0, stdout
    project = tmp_path / "svc"
    assert (project / ".git").is_dir()
    assert "nothing committed (git has no user name/e-mail)" in stdout
    assert "git config --global user.name" in stdout
    staged = subprocess.run(
        ["git", "diff", "--cached", "--name-only"], cwd=project, capture_output=True, text=True
    ).stdout.split()
    assert "pyproject.toml" in staged


def test_force_commits_only_the_generated_files(tmp_path: Path) -> None:
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    exit_code, stdout, _ = invoke("new", dest, "-s", "chat", "--force")
    assert exit_code == 0, stdout
    assert "notes.txt" not in git(dest, "ls-files").split()
    assert "pyproject.toml" in git(dest, "ls-files").split()


@pytest.mark.parametrize(
    ("name", "debug"),
    [
        ("chat-dev", True),
        ("test-chat", True),
        ("my_dev_svc", True),
        ("dev", True),
        ("a-test-b", True),
        ("devices", False),
        ("attestation", False),
        ("contest", False),
        ("latest-chat", False),
        ("chat", False),
        ("developer-tools", False),
    ],
)
def test_debug_names_are_words(name: str, debug: bool) -> None:
    assert is_debug_name(name) is debug


@pytest.mark.parametrize(("service", "debug"), [("chat-dev", True), ("devices", False)])
def test_new_says_when_the_name_means_debug(tmp_path: Path, service: str, debug: bool) -> None:
    exit_code, stdout, _ = invoke("new", tmp_path / "svc", "-s", service, "--no-git")
    assert exit_code == 0, stdout
    lines = [line for line in stdout.splitlines() if "debug mode" in line]
    assert len(lines) == (1 if debug else 0), stdout


@pytest.mark.parametrize(
    "command", [[], ["new"], ["update"], ["check"], ["add"], ["add", "handler"]], ids=" ".join
)
def test_help_has_readable_metavars_and_an_example(command: list[str]) -> None:
    exit_code, stdout, _ = invoke(*command, "--help")
    assert exit_code == 0
    assert "list[str]" not in stdout
    assert "<str>" not in stdout.split("Options:")[1]
    examples = stdout.split("Examples:")[1].splitlines()
    assert any(line.strip().startswith(" ".join(["fastgen", *command])) for line in examples)
    if "-d, --data" in stdout:
        assert "-d, --data KEY=VALUE" in stdout


def test_a_refused_commit_still_leaves_a_complete_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    hook = hooks / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'policy: no commits today' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    config = tmp_path / "gitconfig"
    config.write_text(
        f"[user]\n\tname = T\n\temail = t@example.com\n[core]\n\thooksPath = {hooks}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    exit_code, stdout, stderr = invoke("new", tmp_path / "svc", "-s", "chat")
    assert exit_code == 0, stdout + stderr
    assert "Git: not committed (git commit failed: policy: no commits today)" in stdout
    assert "git add -A && git commit -m 'Generate chat from fastgen" in stdout
    assert (tmp_path / "svc" / "svc" / "main.py").is_file()
