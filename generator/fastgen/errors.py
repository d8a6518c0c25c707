"""The errors fastgen reports to its users: one line each, never a traceback."""


class FastgenError(Exception):
    """A problem the user can fix; the CLI prints its message and exits with `exit_code`."""

    exit_code = 1


class UsageError(FastgenError):
    """The command line itself is wrong (bad name, unknown key, bad destination)."""

    exit_code = 2
