"""fastgen's exit codes: one rule for every command, printed by ``--help`` and the README.

A script must tell "the command worked, but you have something to do" (1) from "you asked
for something invalid" (2); everything here is the single source of that rule.
"""

from enum import IntEnum


class ExitCode(IntEnum):
    """What a fastgen process's exit status means, whatever the command."""

    OK = 0
    ACTION_NEEDED = 1
    BAD_INPUT = 2
    INTERRUPTED = 130


MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.ACTION_NEEDED: (
        "the command ran and found something you must act on: `update` left conflicts, "
        "`check` found a newer template version"
    ),
    ExitCode.BAD_INPUT: (
        "bad input or a refusal, and nothing was changed: an invalid answer, an unknown "
        "`--data` key or `--vcs-ref`, a downgrade, not a project, a dirty git tree"
    ),
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C); nothing was written",
}


def markdown_table() -> str:
    """The exit codes as the Markdown table the README prints (no trailing newline)."""
    rows = ["| exit code | meaning |", "| --- | --- |"]
    rows += [f"| {int(code)} | {meaning} |" for code, meaning in MEANINGS.items()]
    return "\n".join(rows)


def help_text() -> str:
    """The exit codes in one paragraph, for ``fastgen --help``."""
    return "Exit codes: " + "; ".join(
        f"{int(code)} {meaning.replace('`', '')}" for code, meaning in MEANINGS.items()
    )
