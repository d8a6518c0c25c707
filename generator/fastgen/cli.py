"""The ``fastgen`` command line: its arguments; the work and the printing are in other modules.

What each command prints is in `reports`; the consoles and the one place where exceptions
become an error line and an exit code are in `output`.

Heavy imports (copier, jinja, yaml) happen inside the commands that need them, so that
``fastgen --help`` starts instantly.
"""

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .exit_codes import ExitCode, help_text
from .output import OneLineErrorsGroup, console, example, fail, reported_errors

app = typer.Typer(
    cls=OneLineErrorsGroup,
    no_args_is_help=True,
    help="Generate FastAPI WebSocket services, and keep them up to date with their template.",
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain help: rendering it with rich costs more start-up time than the rest of `--help`.
    rich_markup_mode=None,
)


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
    from .reports import print_created, print_notes

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
    service_name = str(result.answers.get("service_name", result.dest.name))
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
    print_notes(result.notes)
    package_name = str(result.answers.get("package_name", "?"))
    print_created(
        result,
        (service_name, package_name),
        debug=is_debug_name(service_name),
        vcs_summary=vcs.summary,
        next_commands=next_steps(result.dest, package_name, vcs.next_command),
    )


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
    from .reports import print_notes, print_update, print_update_json
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
    print_notes(result.notes)
    if json_output:
        print_update_json(result)
    else:
        print_update(result, asked_for=vcs_ref)
    if result.conflicts and not result.pretend:
        from .changes import conflict_hint

        conflicts = [change for change in result.changes if change.kind == "C"]
        fail(
            f"{len(conflicts)} file(s) with conflicts: {', '.join(result.conflicts)}; "
            + conflict_hint(conflicts),
            ExitCode.ACTION_NEEDED,
        )


@app.command(name="check", epilog=example("fastgen check", "fastgen check ../chat --json"))
def check_command(
    dest: ProjectDir = Path("."),
    src: SrcOption = None,
    json_output: JsonOption = False,
) -> None:
    """Say whether a newer template version exists: exit 0 up to date, 1 newer, 2 refused."""
    _check(dest, src, json_output)


def _check(dest: Path, src: str | None, json_output: bool) -> None:
    from .reports import print_check
    from .update import check_project

    with reported_errors():
        result = check_project(dest, src=src)
    print_check(result, json_output)
    if result.action_needed:
        raise typer.Exit(ExitCode.ACTION_NEEDED)


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
    from .reports import print_added

    with reported_errors():
        added = add(name, dest)
    print_added(added)


def main() -> None:
    """Console-script entry point."""
    app()
