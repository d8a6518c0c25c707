"""``fastgen add handler``: new handler modules and tests in generated projects."""

import shutil
import sys
from pathlib import Path

import copier
import pytest
from typer.testing import CliRunner

from fastgen.add_handler import MAX_NAME_LENGTH, add_handler, registered_types
from fastgen.cli import app
from fastgen.errors import FastgenError, UsageError
from fastgen.generate import new_project
from tests.conftest import git, make_template_repo, run, run_project_checks, write_client_types

runner = CliRunner()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One generated project, copied by `project` for each test."""
    return new_project(tmp_path_factory.mktemp("pristine") / "proj", service="chat-dev").dest


@pytest.fixture
def project(pristine: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "proj"))


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_cli_adds_the_module_and_its_test(project: Path) -> None:
    exit_code, stdout, _ = invoke("add", "handler", "get_score", "--dest", project)
    assert exit_code == 0, stdout
    assert "GetScoreHandler" in stdout
    assert "`python -m proj.engine.client_types`" in stdout
    module = (project / "proj" / "handlers" / "get_score.py").read_text(encoding="utf-8")
    assert 'type = "get_score"' in module
    assert "class GetScoreMessage(Message):" in module
    assert "reply_model = GetScoreReply" in module
    assert (project / "tests" / "test_handler_get_score.py").is_file()
    assert registered_types(project / "proj" / "handlers")["get_score"].name == "get_score.py"


def test_dest_defaults_to_the_current_folder(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    exit_code, stdout, _ = invoke("add", "handler", "shout")
    assert exit_code == 0, stdout
    assert (project / "proj" / "handlers" / "shout.py").is_file()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("Shout", "lowercase letters and digits"),
        ("get-score", "lowercase letters and digits"),
        ("2fast", "starting with a letter"),
        ("double__underscore", "single underscores"),
        ("_private", "lowercase letters and digits"),
        ("", "lowercase letters and digits"),
        ("class", "Python keyword"),
        ("x" * (MAX_NAME_LENGTH + 1), f"longer than {MAX_NAME_LENGTH}"),
        ("base", "machinery"),
        ("factory", "machinery"),
        ("ping", "message type 'ping' is already handled in proj/engine/handlers/ping.py"),
        ("join", "message type 'join' is already handled in proj/engine/handlers/rooms.py"),
        ("echo", "proj/handlers/echo.py already exists"),
    ],
)
def test_refused_with_one_line_and_nothing_written(project: Path, name: str, fragment: str) -> None:
    before = snapshot(project)
    exit_code, stdout, stderr = invoke("add", "handler", name, "--dest", project)
    assert exit_code != 0, stdout
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error:")
    assert fragment in lines[0]
    assert snapshot(project) == before


def test_a_type_registered_in_another_module_is_refused(project: Path) -> None:
    (project / "proj" / "handlers" / "scores.py").write_text(
        "class ScoreHandler:\n    type = 'get_score'\n", encoding="utf-8"
    )
    with pytest.raises(FastgenError, match=r"'get_score' is already handled in proj/handlers"):
        add_handler("get_score", project)
    assert not (project / "proj" / "handlers" / "get_score.py").exists()


def test_an_existing_test_file_is_refused(project: Path) -> None:
    (project / "tests" / "test_handler_shout.py").write_text("", encoding="utf-8")
    with pytest.raises(FastgenError, match="already exists"):
        add_handler("shout", project)
    assert not (project / "proj" / "handlers" / "shout.py").exists()


def test_the_same_name_twice_is_refused(project: Path) -> None:
    add_handler("shout", project)
    with pytest.raises(FastgenError, match="already exists"):
        add_handler("shout", project)


def test_a_folder_that_is_not_a_project_is_refused(tmp_path: Path) -> None:
    exit_code, _, stderr = invoke("add", "handler", "shout", "--dest", tmp_path)
    assert exit_code == 2
    assert "is not a generated project (no .copier-answers.yml" in stderr
    assert list(tmp_path.iterdir()) == []


def test_answers_without_the_package_are_refused(project: Path) -> None:
    shutil.rmtree(project / "proj")
    with pytest.raises(UsageError, match="names no package with a handlers/ folder"):
        add_handler("shout", project)


@pytest.mark.e2e
@pytest.mark.full
def test_projects_stay_green_after_adding_several_handlers(tmp_path: Path) -> None:
    project = new_project(tmp_path / "proj", service="chat-dev", package="p" * 40).dest
    names = ["shout", "get_score", "v2", "x" * MAX_NAME_LENGTH, "match", "type"]
    for name in names:
        add_handler(name, project)
    write_client_types(project)
    run_project_checks(project)
    added_tests = [f"tests/test_handler_{name}.py" for name in names]
    collected = run([sys.executable, "-m", "pytest", "-q", "--co", *added_tests], project)
    assert f"{3 * len(names)} tests collected" in collected


@pytest.mark.e2e
@pytest.mark.full
def test_added_handlers_survive_a_template_update(tmp_path: Path) -> None:
    template = make_template_repo(tmp_path / "template", tag="v0.1.0")
    project = new_project(
        tmp_path / "proj", service="chat-dev", src=str(template), vcs_ref="v0.1.0"
    ).dest
    git(project, "init", "-q", "-b", "main")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "generated")
    added = add_handler("shout", project)
    write_client_types(project)
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "add shout")
    # The clients' message types, with shout's: an update must keep them (`_skip_if_exists`).
    types = [
        Path("clients/python/proj_client/messages.py"),
        Path("clients/typescript/src/messages.ts"),
    ]
    before = {path: (project / path).read_bytes() for path in [*added.files, *types]}

    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nNew in v0.2.0.\n", encoding="utf-8")
    git(template, "commit", "-q", "-am", "v0.2.0")
    git(template, "tag", "v0.2.0")
    copier.run_update(project, defaults=True, overwrite=True, quiet=True, unsafe=False)

    assert "_commit: v0.2.0" in (project / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "New in v0.2.0." in (project / "README.md").read_text(encoding="utf-8")
    assert {path: (project / path).read_bytes() for path in before} == before
    run_project_checks(project)
