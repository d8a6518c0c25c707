"""The template's questions: complete, safe to update, and validated with clear messages."""

from pathlib import Path

import pytest

from fastgen.errors import FastgenError
from tests.conftest import COPIER_YML, Generate, load_questions

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
    with pytest.raises(FastgenError, match=fragment):
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
    with pytest.raises(FastgenError, match=fragment):
        generate(package=package)


def test_package_name_is_derived_from_the_project_name(generate: Generate) -> None:
    result = generate(name="My-Chat")
    assert result.answers["package_name"] == "my_chat"
    assert (result.dest / "my_chat" / "main.py").is_file()


@pytest.mark.parametrize("email", ["nobody", "a@b", "a b@c.d"])
def test_invalid_author_email(generate: Generate, email: str) -> None:
    with pytest.raises(FastgenError, match="author_email"):
        generate(data=[f"author_email={email}"])


def test_invalid_python_version(generate: Generate) -> None:
    with pytest.raises(FastgenError, match="python_version"):
        generate(data=["python_version=2.7"])
