"""The ``fastgen`` command line: argument parsing and output only; the work is in other modules.

Heavy imports (copier, jinja, yaml) happen inside the commands that need them, so that
``fastgen --help`` starts instantly.
"""

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from . import __version__
from .errors import FastgenError
from .exit_codes import ExitCode, help_text

if TYPE_CHECKING:
    from .update import UpdateResult

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


app = typer.Typer(
    cls=OneLineErrorsGroup,
    no_args_is_help=True,
    help="Generate FastAPI WebSocket services, and keep them up to date with their template.",
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rendering it with rich costs more start-up time than the rest of `--help`.
    rich_markup_mode=None,
)


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


def _version_callback(value: bool) -> None:
    if value:
        console.print(f"fastgen {__version__}")
        raise typer.Exit()


@app.callback(
    epilog=example("fastgen new chat --service chat-dev", "cd chat && fastgen check")
    + "\n\n"
    + help_text()
)
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


@app.command(
    epilog=example(
        "fastgen new chat --service chat-dev",
        "fastgen new billing -s billing --data auth=jwt --data broadcast=redis --defaults",
    )
)
def new(
    dest: Annotated[
        Path | None,
        typer.Argument(help="Folder to create (default: the service name).", show_default=False),
    ] = None,
    service: Annotated[
        str | None,
        typer.Option(
            "--service",
            "-s",
            metavar="NAME",
            help="Service name, e.g. chat-dev (the word 'dev' or 'test' means debug).",
        ),
    ] = None,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            "-p",
            metavar="PACKAGE",
            help="Python package name (default: from the folder).",
        ),
    ] = None,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data",
            "-d",
            metavar="KEY=VALUE",
            help="Answer a template question (repeatable).",
        ),
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
        typer.Option(
            metavar="SRC", help="Template source: a folder or git URL (default: fastgen's own)."
        ),
    ] = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option(
            "--vcs-ref", metavar="REF", help="Template version to use: a git tag, branch or HEAD."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force/--no-force",
            help="Generate into a non-empty folder; files already there are kept.",
        ),
    ] = False,
    git: Annotated[
        bool,
        typer.Option(
            "--git/--no-git",
            help="Make the project a git repository with a first commit (skipped inside one).",
        ),
    ] = True,
) -> None:
    """Generate a new FastAPI WebSocket service."""
    from .generate import new_project
    from .git_setup import commit_message, set_up_git
    from .names import is_debug_name
    from .next_steps import next_steps

    if dest is None:
        if service is None:
            fail("give a destination folder or --service NAME")
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
    answers = result.answers
    service_name = str(answers.get("service_name", result.dest.name))
    kept = set(result.kept)
    try:
        vcs = set_up_git(
            result.dest,
            [path for path in result.files if path not in kept],
            commit_message(service_name, __version__),
            enabled=git,
        )
    except KeyboardInterrupt:
        # Past this point the project exists: "nothing was written" would be untrue.
        fail(
            f"interrupted while setting up git; the project is complete in {result.dest}",
            ExitCode.INTERRUPTED,
        )
    for note in result.notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    package_name = str(answers.get("package_name", "?"))
    where = result.dest
    console.print(
        f"[bold green]Created[/] {escape(service_name)} in {escape(str(where))} "
        f"({len(result.files) - len(result.kept)} files, package [bold]{package_name}[/])",
        highlight=False,
    )
    if result.kept:
        console.print(
            f"[yellow]Kept {len(result.kept)} existing file(s) as they were:[/] "
            + escape(", ".join(str(p) for p in result.kept)),
            highlight=False,
        )
    if is_debug_name(service_name):
        console.print(
            f"[yellow]Debug:[/] '{escape(service_name)}' has the word dev or test, so the "
            "service runs in debug mode (docs, console, dev tokens); "
            "pick a name without it for production",
            highlight=False,
        )
    console.print(escape(vcs.summary), highlight=False)
    console.print("Next:", highlight=False)
    for command in next_steps(where, package_name, vcs.next_command):
        console.print(f"  [cyan]{escape(command)}[/]", highlight=False)


class ConflictStyle(StrEnum):
    """How ``fastgen update`` leaves conflicts (Copier's ``--conflict``)."""

    inline = "inline"
    rej = "rej"


ProjectDir = Annotated[
    Path,
    typer.Argument(help="The generated project (default: the current folder).", show_default=False),
]
SrcOption = Annotated[
    str | None,
    typer.Option(
        metavar="SRC",
        help="Read template versions from this repository (a local clone, a fork, a git URL) "
        "for this run; .copier-answers.yml keeps the recorded source.",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json/--no-json", help="Print the result as one JSON object.")
]


@app.command(
    epilog=example(
        "fastgen update",
        "fastgen update ../chat --vcs-ref v0.2.0 --pretend",
        "fastgen update --data broadcast=redis",
    )
)
def update(
    dest: ProjectDir = Path("."),
    src: SrcOption = None,
    vcs_ref: Annotated[
        str | None,
        typer.Option(
            "--vcs-ref",
            metavar="REF",
            help="Template version to update to (default: the newest tag, or HEAD if newer).",
            show_default=False,
        ),
    ] = None,
    conflict: Annotated[
        ConflictStyle,
        typer.Option(
            help="Conflicts as inline <<<<<<< markers, or rej: the template's lines go in "
            "the file and yours in FILE.rej."
        ),
    ] = ConflictStyle.inline,
    pretend: Annotated[
        bool,
        typer.Option(
            "--pretend/--no-pretend",
            help="List what would change (the update runs in a throwaway clone); write nothing.",
        ),
    ] = False,
    data: Annotated[
        list[str] | None,
        typer.Option(
            "--data", "-d", metavar="KEY=VALUE", help="Change a template answer (repeatable)."
        ),
    ] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Only say whether a newer version exists (exit 1).")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Update a generated project to the newest template version, keeping your edits."""
    if check:
        _check(dest, src, json_output)
        return
    from .update import update_project

    with reported_errors():
        result = update_project(
            dest,
            src=src,
            vcs_ref=vcs_ref,
            conflict=conflict.value,
            pretend=pretend,
            data=data or [],
        )
    for note in result.notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    if json_output:
        console.print_json(
            data={
                "project": str(result.dest),
                "source": result.source,
                "from": result.from_version,
                "to": result.to_version,
                "up_to_date": result.up_to_date,
                "pretend": result.pretend,
                "changed": result.changed,
                "conflicts": result.conflicts,
                "changes": [change.as_dict() for change in result.changes],
            }
        )
    else:
        _print_update(result, asked_for=vcs_ref)
    if result.conflicts and not result.pretend:
        from .changes import conflict_hint

        conflicts = [change for change in result.changes if change.kind == "C"]
        fail(
            f"{len(conflicts)} file(s) with conflicts: {', '.join(result.conflicts)}; "
            + conflict_hint(conflicts),
            ExitCode.ACTION_NEEDED,
        )


def _print_update(result: "UpdateResult", asked_for: str | None) -> None:
    """The human-readable report of `fastgen update`: versions, source, every change."""
    dest, source = result.dest, result.source
    if result.up_to_date and asked_for is not None:
        console.print(
            f"Already at {result.from_version}: {dest} is at the version asked for; "
            f"nothing to update (source: {source})",
            highlight=False,
        )
        return
    if result.up_to_date:
        console.print(
            f"Already up to date: {dest} is at {result.from_version} (newest in {source})",
            highlight=False,
        )
        return
    versions = (
        f"at {result.from_version} with new answers"
        if result.from_version == result.to_version
        else f"from {result.from_version} to {result.to_version}"
    )
    # Not "changed": a kept file (removed by the template, edited here) is listed unchanged.
    count = f"{len(result.changes)} file(s) listed"
    if result.pretend:
        console.print(
            f"Would update {dest} {versions} ({count}; --pretend: nothing written; "
            f"source: {source})",
            highlight=False,
        )
    else:
        console.print(
            f"[bold green]Updated[/] {dest} {versions} ({count}; source: {source})",
            highlight=False,
        )
    colours = {"A": "green", "M": "cyan", "D": "yellow", "C": "red"}
    for change in result.changes:
        note = f"  ({escape(change.note)})" if change.note else ""
        console.print(
            f"  [{colours[change.kind]}]{change.kind}[/] {escape(change.path)}{note}",
            highlight=False,
        )
    if result.pretend and result.conflicts:
        console.print(
            f"The update would leave {len(result.conflicts)} conflict(s) to resolve.",
            highlight=False,
        )
    elif not result.pretend and not result.conflicts:
        console.print("Review with `git diff`, run your tests, then commit.", highlight=False)


@app.command(name="check", epilog=example("fastgen check", "fastgen check ../chat --json"))
def check_command(
    dest: ProjectDir = Path("."),
    src: SrcOption = None,
    json_output: JsonOption = False,
) -> None:
    """Say whether a newer template version exists: exit 0 up to date, 1 newer, 2 refused."""
    _check(dest, src, json_output)


def _check(dest: Path, src: str | None, json_output: bool) -> None:
    from .update import check_project

    with reported_errors():
        result = check_project(dest, src=src)
    if json_output:
        console.print_json(data=result.as_dict())
    elif result.update_available:
        console.print(
            f"Update available: {result.current} -> {result.latest} ({result.source}); "
            "run `fastgen update`",
            highlight=False,
        )
    elif not result.known:
        console.print(
            f"Unknown: {result.dest} is at {result.current}, and {result.source} gives no "
            "version to compare it with, so a newer template version cannot be seen",
            highlight=False,
        )
    else:
        console.print(
            f"Up to date: {result.dest} is at {result.current} "
            f"(newest: {result.latest}, in {result.source})",
            highlight=False,
        )
    if not json_output:
        _print_leftovers(result.leftovers, result.removed_edited)
    if result.action_needed:
        raise typer.Exit(ExitCode.ACTION_NEEDED)


def _print_leftovers(leftovers: list[str], removed_edited: list[str]) -> None:
    """`fastgen check`'s lines for what an earlier update left to resolve."""
    from .leftovers import resolve_hint

    if leftovers:
        console.print(
            f"Unresolved conflicts from an update: {escape(', '.join(leftovers))}; "
            f"{escape(resolve_hint(leftovers))}",
            highlight=False,
        )
    for path in removed_edited:
        console.print(
            f"Removed by the template, edited here: {escape(path)} was deleted by the "
            f"update; keep yours with: git restore --source=HEAD -- {escape(path)}",
            highlight=False,
        )


add_app = typer.Typer(
    no_args_is_help=True,
    help="Add code to a generated project.",
    epilog=example("fastgen add handler get_score"),
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(add_app, name="add")


@add_app.command(
    "handler",
    epilog=example("fastgen add handler get_score", "fastgen add handler shout --dest ../chat"),
)
def add_handler(
    name: Annotated[
        str,
        typer.Argument(help="Module name and message type, e.g. get_score.", show_default=False),
    ],
    dest: Annotated[
        Path,
        typer.Option(
            "--dest", metavar="DIR", help="The generated project (default: the current folder)."
        ),
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
    console.print(
        "Next: edit the message's fields and handle(), then update the clients' message types "
        f"with `{added.types_command}` and run pytest.",
        highlight=False,
    )


def main() -> None:
    """Console-script entry point."""
    app()
