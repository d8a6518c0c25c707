"""The template's questions: complete, safe to update, and validated with clear messages."""

from pathlib import Path

import pytest
import yaml

from fastgen.errors import UsageError
from fastgen.generate import new_project
from tests.conftest import COPIER_YML, Generate, load_questions, make_template_repo

QUESTIONS = load_questions()


@pytest.mark.parametrize("name", sorted(QUESTIONS))
def test_every_question_has_type_help_and_default(name: str) -> None:
    spec = QUESTIONS[name]
    assert {"type", "help", "default"} <= set(spec), spec


def test_template_needs_no_trust() -> None:
    text = COPIER_YML.read_text(encoding="utf-8")
    assert "_tasks" not in text
    assert "_migrations" not in text
    assert "_subdirectory: template" in text


def test_required_questions_exist() -> None:
    assert {
        "project_name",
        "service_name",
        "package_name",
        "description",
        "author_name",
        "author_email",
        "python_version",
    } <= set(QUESTIONS)
    assert QUESTIONS["python_version"]["choices"] == ["3.11", "3.12", "3.13"]


@pytest.mark.parametrize("service", ["chat-dev", "a", "svc-2-test", "x" * 40])
def test_valid_service_names(generate: Generate, service: str) -> None:
    assert generate(service=service).answers["service_name"] == service


@pytest.mark.parametrize(
    ("service", "fragment"),
    [
        ("Chat", "lowercase letters"),
        ("chat_dev", "lowercase letters"),
        ("1chat", "starting with a letter"),
        ("-chat", "starting with a letter"),
        ("chat dev", "lowercase letters"),
        ("x" * 41, "at most 40"),
    ],
)
def test_invalid_service_names(
    generate: Generate, tmp_path: Path, service: str, fragment: str
) -> None:
    with pytest.raises(UsageError, match=fragment):
        generate(service=service)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("package", "fragment"),
    [
        ("My-Pkg", "lowercase Python identifier"),
        ("9lives", "lowercase Python identifier"),
        ("has space", "lowercase Python identifier"),
        ("tests", "shadow"),
        ("fastapi", "shadow"),
        ("p" * 41, "at most 40"),
    ],
)
def test_invalid_package_names(generate: Generate, package: str, fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        generate(package=package)


def test_package_name_is_derived_from_the_project_name(generate: Generate) -> None:
    result = generate(name="My-Chat")
    assert result.answers["package_name"] == "my_chat"
    assert (result.dest / "my_chat" / "main.py").is_file()


@pytest.mark.parametrize("email", ["nobody", "a@b", "a b@c.d"])
def test_invalid_author_email(generate: Generate, email: str) -> None:
    with pytest.raises(UsageError, match="author_email"):
        generate(data=[f"author_email={email}"])


def test_invalid_python_version(generate: Generate) -> None:
    with pytest.raises(UsageError, match="python_version"):
        generate(data=["python_version=2.7"])


def test_plain_copier_and_fastgen_agree_on_names(tmp_path: Path) -> None:
    """`copier copy <template> myproj --defaults` names things after the folder, as fastgen does."""
    import copier

    template = make_template_repo(tmp_path / "template", tag="v1")
    copier.run_copy(str(template), tmp_path / "copier" / "myproj", defaults=True, quiet=True)
    via_copier = yaml.safe_load(
        (tmp_path / "copier" / "myproj" / ".copier-answers.yml").read_text(encoding="utf-8")
    )
    via_fastgen = new_project(tmp_path / "fastgen" / "myproj", src=str(template)).answers
    names = ("project_name", "service_name", "package_name")
    assert [via_copier[name] for name in names] == ["myproj", "myproj", "myproj"]
    assert [via_fastgen[name] for name in names] == [via_copier[name] for name in names]


@pytest.mark.parametrize("package", ["jwt", "redis", "pydantic_core", "uvloop"])
def test_package_names_of_dependencies_are_refused(generate: Generate, package: str) -> None:
    with pytest.raises(UsageError, match="would shadow the module"):
        generate(package=package)
