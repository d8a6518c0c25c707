"""What fastgen prints: the consoles, one-line errors, and the mapping of exceptions to exits.

rich is imported on first use, so that ``fastgen --help`` does not pay for it.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from .errors import FastgenError
from .exit_codes import ExitCode

# Click's usage error (unknown option, missing argument...). Recent Typer releases carry their
# own copy of Click, so the class is taken from Typer itself, not from an `import click`.
_USAGE_ERROR: type[Exception] = next(
    cls for cls in typer.BadParameter.__mro__ if cls.__name__ == "UsageError"
)


class OneLineErrorsGroup(TyperGroup):
    """The root command: a usage error of it or of a subcommand is one line on stderr, exit 2.

    Click would print the usage, a hint and the error on three lines.
    """

    def make_context(self, info_name: str | None, args: list[str], *rest: Any, **extra: Any) -> Any:
        """Parse the root's own options; a usage error there is one line."""
        with _one_line_usage_errors():
            return super().make_context(info_name, args, *rest, **extra)

    def invoke(self, ctx: Any) -> Any:
        """Run the subcommand; a usage error while parsing its arguments is one line."""
        with _one_line_usage_errors():
            return super().invoke(ctx)


@contextmanager
def _one_line_usage_errors() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        # `fastgen` alone (or `fastgen add`) prints the help, as no_args_is_help asks.
        if not isinstance(exc, _USAGE_ERROR) or type(exc).__name__ == "NoArgsIsHelpError":
            raise
        fail(exc.format_message())  # type: ignore[attr-defined]


class _LazyConsole:
    """A rich ``Console`` made on first use: rich costs ~40 ms that ``--help`` does not need."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return getattr(self._console, name)


def escape(text: str) -> str:
    """Escape rich markup in `text` (rich imported on first use)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


console = _LazyConsole(soft_wrap=True)
err_console = _LazyConsole(stderr=True, soft_wrap=True)


def fail(message: str, exit_code: int = ExitCode.BAD_INPUT) -> NoReturn:
    """Print one error line on stderr and exit (default: bad input or a refusal)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """The one place where fastgen's exceptions become an error line and an exit code."""
    try:
        yield
    except FastgenError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail("aborted; nothing was written", ExitCode.INTERRUPTED)


def example(*lines: str) -> str:
    """A command's ``--help`` epilog: its example command lines, one per line.

    click rewraps help text except a paragraph that starts with ``\\b``.
    """
    return "\b\n" + "\n".join(("Examples:", *(f"  {line}" for line in lines)))
