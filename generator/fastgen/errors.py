"""The errors fastgen reports to its users: one line each, never a traceback."""

from .exit_codes import ExitCode


class FastgenError(Exception):
    """A problem the user can fix; the CLI prints its message and exits with `exit_code`.

    Every failure leaves nothing changed, so all of them share the "bad input or a refusal"
    code: exit 1 is kept for commands that ran and found something to act on.
    """

    exit_code: int = ExitCode.BAD_INPUT


class UsageError(FastgenError):
    """The command line itself is wrong (bad name, unknown key, bad destination)."""

    exit_code = ExitCode.BAD_INPUT
