"""What each command prints once its work is done: created, updated, checked, added."""

from typing import TYPE_CHECKING

from .output import console, err_console, escape

if TYPE_CHECKING:
    from .add_handler import AddedHandler
    from .generate import NewProject
    from .update import CheckResult, UpdateResult


def print_notes(notes: list[str]) -> None:
    """Notes of the work done (on stderr, so that ``--json`` output stays one object)."""
    for note in notes:
        err_console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)


def print_created(
    result: "NewProject",
    names: tuple[str, str],
    debug: bool,
    vcs_summary: str,
    next_commands: list[str],
) -> None:
    """`fastgen new`'s report: what was written, the debug warning, git, the next commands.

    `names` is the service's and the package's name.
    """
    service_name, package_name = names
    console.print(
        f"[bold green]Created[/] {escape(service_name)} in {escape(str(result.dest))} "
        f"({len(result.files) - len(result.kept)} files, package [bold]{package_name}[/])",
        highlight=False,
    )
    if result.kept:
        console.print(
            f"[yellow]Kept {len(result.kept)} existing file(s) as they were:[/] "
            + escape(", ".join(str(p) for p in result.kept)),
            highlight=False,
        )
    if debug:
        console.print(
            f"[yellow]Debug:[/] '{escape(service_name)}' has the word dev or test, so the "
            "service runs in debug mode (docs, console, dev tokens); "
            "pick a name without it for production",
            highlight=False,
        )
    console.print(escape(vcs_summary), highlight=False)
    console.print("Next:", highlight=False)
    for command in next_commands:
        console.print(f"  [cyan]{escape(command)}[/]", highlight=False)


def print_update_json(result: "UpdateResult") -> None:
    """`fastgen update --json`: the result as one JSON object."""
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


def print_update(result: "UpdateResult", asked_for: str | None) -> None:
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


def print_check(result: "CheckResult", json_output: bool) -> None:
    """`fastgen check`'s report: the versions, then what an earlier update left to resolve."""
    if json_output:
        console.print_json(data=result.as_dict())
        return
    if result.update_available:
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
    print_leftovers(result.leftovers, result.removed_edited)


def print_leftovers(leftovers: list[str], removed_edited: list[str]) -> None:
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


def print_added(added: "AddedHandler") -> None:
    """`fastgen add handler`'s report: the files written, and what to do next."""
    files = ", ".join(str(path) for path in added.files)
    console.print(
        f"[bold green]Added[/] message type [bold]{added.message_type}[/] "
        f"({added.class_name}): {files}",
        highlight=False,
    )
    console.print(
        "Next: edit the message's fields and handle(), then update the clients' message types "
        f"with `{added.types_command}` and run pytest.",
        highlight=False,
    )
