"""The commands ``fastgen new`` prints under ``Next:``, each one runnable exactly as printed.

A test runs them verbatim in bash (tests/test_next_steps.py): a venv of the project's own,
so nothing lands in the environment fastgen runs from, then install, test, run.
"""

import shlex
from pathlib import Path

VENV_COMMAND = "python3 -m venv .venv && . .venv/bin/activate"
INSTALL_COMMAND = "pip install -e '.[dev]'"
TEST_COMMAND = "python -m pytest"


def next_steps(project: Path, package: str, git_command: str | None = None) -> list[str]:
    """The shell lines that take a new project from generated to running.

    Args:
        project: the generated project's folder.
        package: its Python package (``python -m <package>`` runs the service).
        git_command: what is left to do for git (no identity, ``--no-git``...), if anything.
    """
    commands = [f"cd {shlex.quote(str(project))}"]
    if git_command:
        commands.append(git_command)
    return [*commands, VENV_COMMAND, INSTALL_COMMAND, TEST_COMMAND, f"python -m {package} --reload"]
