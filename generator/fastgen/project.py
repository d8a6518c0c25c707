"""A generated project as the update commands see it: its folder and its Copier answers."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UsageError
from .generate import ANSWERS_FILE, read_answers


@dataclass(frozen=True)
class Project:
    """A generated project, as its answers file describes it."""

    dest: Path
    answers: dict[str, Any]

    @property
    def src_path(self) -> str:
        """The template source recorded at generation or the last update."""
        return str(self.answers.get("_src_path", ""))

    @property
    def commit(self) -> str | None:
        """The template version (tag, or commit) the project is at."""
        commit = self.answers.get("_commit")
        return str(commit) if commit else None

    @property
    def questions_answered(self) -> dict[str, Any]:
        """The answers to template questions (Copier's own ``_`` entries left out)."""
        return {key: value for key, value in self.answers.items() if not key.startswith("_")}


def load_project(dest: Path) -> Project:
    """Read a generated project's answers.

    Raises:
        UsageError: `dest` is not a folder or has no Copier answers file.
    """
    dest = dest.expanduser().resolve()
    if not dest.is_dir():
        raise UsageError(f"{dest} is not a folder")
    answers_path = dest / ANSWERS_FILE
    if not answers_path.is_file():
        raise UsageError(f"{dest} is not a generated project: it has no {ANSWERS_FILE}")
    answers = read_answers(answers_path)
    if not answers.get("_src_path"):
        raise UsageError(f"{answers_path} records no _src_path: nothing to update from")
    return Project(dest=dest, answers=answers)
