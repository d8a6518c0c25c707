"""The fastgen command line: exit codes, one-line errors, and nothing half-written."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from fastgen import __version__
from fastgen.cli import app

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
