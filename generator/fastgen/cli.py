"""The ``fastgen`` command line: argument parsing and output only; the work is in other modules.

Heavy imports (copier, jinja, yaml) happen inside the commands that need them, so that
``fastgen --help`` starts instantly.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from . import __version__
from .errors import FastgenError

app = typer.Typer(
    no_args_is_help=True,
    help="Generate FastAPI WebSocket services, and keep them up to date with their template.",
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, exit_code: int = 1) -> NoReturn:
    """Print one error line on stderr and exit."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(exit_code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """The one place where fastgen's exceptions become an error line and an exit code."""
    try:
        yield
    except FastgenError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail("aborted; nothing was written", 130)


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"fastgen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Show fastgen's version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Generate FastAPI WebSocket services, and keep them up to date with their template."""


@app.command()
def new(
    dest: Annotated[
        Path | None,
        typer.Argument(help="Folder to create (default: the service name).", show_default=False),
    ] = None,
    service: Annotated[
        str | None,
        typer.Option(
            "--service", "-s", help="Service name, e.g. chat-dev ('dev'/'test' mean debug)."
        ),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option("--package", "-p", help="Python package name (default: from the folder)."),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option("--data", "-d", help="Answer a template question: KEY=VALUE (repeatable)."),
    ] = None,
    defaults: Annotated[
        bool,
        typer.Option(
            "--defaults/--no-defaults",
            help="Use defaults for unanswered questions instead of asking (always so without "
            "a terminal).",
        ),
    ] = False,
    src: Annotated[
        str | None,
        typer.Option(help="Template source: a folder or git URL (default: fastgen's own)."),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option("--vcs-ref", help="Template version to use: a git tag, branch or HEAD."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force/--no-force",
            help="Generate into a non-empty folder; files already there are kept.",
        ),
    ] = False,
) -> None:
    """Generate a new FastAPI WebSocket service."""
    from .generate import new_project

    if dest is None:
        if service is None:
            fail("give a destination folder or --service NAME", 2)
        dest = Path(service)
    interactive = sys.stdin.isatty() and not defaults
    with reported_errors():
        result = new_project(
            dest,
            service=service,
            package=package,
            data=data or [],
            src=src,
            vcs_ref=vcs_ref,
            defaults=not interactive,
            force=force,
        )
    for note in result.notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False)
    answers = result.answers
    package_name = answers.get("package_name", "?")
    where = result.dest
    console.print(
        f"[bold green]Created[/] {answers.get('service_name', where.name)} in {where} "
        f"({len(result.files) - len(result.kept)} files, package [bold]{package_name}[/])",
        highlight=False,
    )
    if result.kept:
        console.print(
            f"[yellow]Kept {len(result.kept)} existing file(s) as they were:[/] "
            + ", ".join(str(p) for p in result.kept),
            highlight=False,
        )
    console.print("Next:", highlight=False)
    for command in (
        f"cd {where}",
        "pip install -e '.[dev]'",
        "pytest",
        f"uvicorn {package_name}.main:app --reload",
    ):
        console.print(f"  [cyan]{escape(command)}[/]", highlight=False)


add_app = typer.Typer(
    no_args_is_help=True, help="Add code to a generated project.", add_completion=False
)
app.add_typer(add_app, name="add")


@add_app.command("handler")
def add_handler(
    name: Annotated[
        str,
        typer.Argument(help="Module name and message type, e.g. get_score.", show_default=False),
    ],
    dest: Annotated[
        Path,
        typer.Option("--dest", help="The generated project (default: the current folder)."),
    ] = Path(),
) -> None:
    """Add a message handler module and its test to a generated project."""
    from .add_handler import add_handler as add

    with reported_errors():
        added = add(name, dest)
    console.print(
        f"[bold green]Added[/] message type [bold]{added.message_type}[/] "
        f"({added.class_name}): " + ", ".join(str(path) for path in added.files),
        highlight=False,
    )
    console.print("Next: edit the message's fields and handle(), then run pytest.", highlight=False)


def main() -> None:
    """Console-script entry point."""
    app()
