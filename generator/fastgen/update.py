"""``fastgen update`` and ``fastgen check``: move a generated project to a newer template version.

Copier's three-way merge does the work (``copier.run_update``); this module makes sure it
runs only on a project it can update (answers file, git, clean tree, no leftover conflicts,
known version), reads the template from where git really reads it (see `update_source`),
keeps the files the template removed but the user edited, and reports every change and
conflict, which Copier itself does not signal.
"""

import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .changes import Change, deleted_files, removed_edits, restore, update_changes
from .data import parse_data
from .errors import UsageError
from .generate import ANSWERS_FILE, run_copier
from .leftovers import CONFLICT_MARKER, find_leftovers, in_git, resolve_hint
from .project import Project, load_project
from .refs import list_refs, require_ref
from .revisions import Revision, is_newer, is_older, newest_revision, revision
from .template_repo import describe, git
from .update_source import TemplateSource, resolve_source

__all__ = [
    "CONFLICT_MARKER",
    "CheckResult",
    "Project",
    "UpdateResult",
    "check_project",
    "load_project",
    "update_project",
]

Conflict = Literal["inline", "rej"]


@dataclass(frozen=True)
class CheckResult:
    """Whether a newer template version exists, and what an earlier update left to resolve."""

    dest: Path
    source: str
    current: str | None
    """The project's ``_commit``."""
    latest: str | None
    """The newest version in the source, as Copier would record it."""
    leftovers: list[str] = field(default_factory=list)
    """Files with conflict markers, and ``.rej`` files."""
    removed_edited: list[str] = field(default_factory=list)
    """Edited files an uncommitted update (plain ``copier update``) deleted."""
    newer: bool | None = None
    """Whether `latest` is a newer version than `current`; None when either has no version."""

    @property
    def update_available(self) -> bool:
        """True when `latest` is a higher version than `current`."""
        return bool(self.newer)

    @property
    def known(self) -> bool:
        """False when the versions cannot be compared: no newer version can be seen."""
        return self.newer is not None

    @property
    def action_needed(self) -> bool:
        """True when there is a newer version or something left to resolve."""
        return self.update_available or bool(self.leftovers or self.removed_edited)

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (``fastgen check --json``)."""
        return {
            "project": str(self.dest),
            "source": self.source,
            "current": self.current,
            "latest": self.latest,
            # null: unknown (the source shows no version to compare with).
            "update_available": self.update_available if self.known else None,
            "leftovers": self.leftovers,
            "removed_edited": self.removed_edited,
        }


@dataclass(frozen=True)
class UpdateResult:
    """What `update_project` did (or, with `pretend`, would do)."""

    dest: Path
    source: str
    from_version: str | None
    to_version: str | None
    changes: list[Change] = field(default_factory=list)
    up_to_date: bool = False
    """Nothing to do: the project is already at the version asked for (or the newest)."""
    pretend: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        """Every file the update changed (or would change)."""
        return [change.path for change in self.changes]

    @property
    def conflicts(self) -> list[str]:
        """The files left to resolve: markers, ``.rej`` files, removed-but-edited files."""
        return [change.path for change in self.changes if change.kind == "C"]


def _require_updatable(project: Project) -> None:
    if not in_git(project.dest):
        raise UsageError(
            f"{project.dest} is not a git repository; run `git init && git add -A && "
            "git commit -m init` first (updates merge through git)"
        )
    if leftovers := find_leftovers(project.dest):
        raise UsageError(
            f"{project.dest} has unresolved conflicts from an earlier update: "
            f"{', '.join(leftovers)}; {resolve_hint(leftovers)}, before updating again"
        )
    if git("status", "--porcelain", "--", ".", cwd=project.dest).strip():
        raise UsageError(f"{project.dest} has uncommitted changes; commit or stash them first")
    if not project.commit:
        raise UsageError(
            f"{project.dest / ANSWERS_FILE} records no _commit: the project was generated "
            "from a template folder outside git and cannot be updated"
        )


def check_project(dest: Path, *, src: str | None = None) -> CheckResult:
    """Tell whether a newer template version than the project's exists, and report what an
    earlier update (fastgen's, or a plain ``copier update``) left to resolve.

    Args:
        dest: the generated project.
        src: read the versions from this template repository instead of the recorded one.

    Raises:
        UsageError: `dest` is not a generated project.
        FastgenError: the template's versions cannot be read.
    """
    project = load_project(dest)
    with resolve_source(project, src) as source:
        refs = list_refs(source.url)
        latest = newest_revision(source.url, refs)
        current = revision(source.url, project.commit, refs) if project.commit else None
        removed = _removed_by_uncommitted_update(project, source)
    return CheckResult(
        dest=project.dest,
        source=source.shown,
        current=project.commit,
        latest=latest.name if latest else None,
        leftovers=find_leftovers(project.dest),
        removed_edited=removed,
        newer=is_newer(latest, current),
    )


def _removed_by_uncommitted_update(project: Project, source: TemplateSource) -> list[str]:
    """Edited files deleted by an update that is not committed yet (a plain ``copier update``).

    The committed answers give the version before the update; its rendering tells which of
    the deleted files the user had edited.
    """
    import yaml

    if not in_git(project.dest):
        return []
    committed = git("show", f"HEAD:./{ANSWERS_FILE}", cwd=project.dest, check=False)
    before = yaml.safe_load(committed) if committed else None
    if not isinstance(before, dict) or not before.get("_commit"):
        return []
    previous = Project(dest=project.dest, answers=before)
    if previous.commit == project.commit:
        return []
    deleted = deleted_files(project.dest)
    if not deleted:
        return []
    with rendered(previous, source) as old:
        return removed_edits(project.dest, deleted, old)


@contextmanager
def rendered(project: Project, source: TemplateSource) -> Iterator[Path]:
    """The project's template version rendered with its answers, in a throwaway folder.

    It is what Copier itself renders as the "old" side of an update's three-way merge.
    """
    import copier

    with tempfile.TemporaryDirectory(prefix="fastgen-old-") as workdir:
        out = Path(workdir) / project.dest.name
        run_copier(
            copier.run_copy,
            source.url,
            out,
            data=project.questions_answered,
            vcs_ref=project.commit,
            defaults=True,
        )
        yield out


def update_project(
    dest: Path,
    *,
    src: str | None = None,
    vcs_ref: str | None = None,
    conflict: Conflict = "inline",
    pretend: bool = False,
    data: Sequence[str] = (),
) -> UpdateResult:
    """Update a generated project to the newest (or the given) template version.

    A file the new version removes is deleted, unless the user edited it: then it is kept
    and reported as a conflict.

    Args:
        dest: the generated project: a git repository with no uncommitted changes and no
            unresolved conflicts.
        src: another copy of the template repository (a local clone, a fork) to read the
            versions from for this update; ``.copier-answers.yml`` keeps the recorded source.
        vcs_ref: the template version (tag, branch, commit) to update to; default: the newest.
        conflict: ``inline`` conflict markers, or ``rej`` files beside the conflicted files.
        pretend: run the update in a throwaway clone of the project and report what it
            changed; the project itself is not touched.
        data: answers to change or add, as ``KEY=VALUE``.

    Raises:
        UsageError: not a project, not git, uncommitted changes, leftover conflicts, unknown
            `vcs_ref`, a downgrade, bad data.
        FastgenError: the template could not be read or rendered.
    """
    project = load_project(dest)
    _require_updatable(project)
    with resolve_source(project, src) as source:
        notes = list(source.notes)
        refs = (
            list_refs(source.url)
            if vcs_ref is None
            else require_ref(source.url, vcs_ref, source.shown)
        )
        current = revision(source.url, project.commit, refs) if project.commit else None
        wanted = (
            revision(source.url, vcs_ref, refs) if vcs_ref else newest_revision(source.url, refs)
        )
        if vcs_ref is not None and is_older(wanted, current):
            raise UsageError(
                f"--vcs-ref {vcs_ref} is older than the project's template {project.commit}: "
                "downgrades are not supported"
            )
        # Copier checks `target` out and records its describe name (a tag, or tag-n-ghash).
        target = vcs_ref or (wanted.name if wanted else "HEAD")
        if not data and _already_at(current, wanted, explicit=vcs_ref is not None):
            return UpdateResult(
                dest=project.dest,
                source=source.shown,
                from_version=project.commit,
                to_version=project.commit,
                up_to_date=True,
                pretend=pretend,
                notes=notes,
            )
        answers = parse_data(data, _questions_at(source.url, target))
        if pretend:
            with throwaway_clone(project.dest) as copy:
                changes = _apply(load_project(copy), source, target, answers, conflict, notes)
        else:
            changes = _apply(project, source, target, answers, conflict, notes)
            _rename_commit(project.dest, source)
    return UpdateResult(
        dest=project.dest,
        source=source.shown,
        from_version=project.commit,
        to_version=target if pretend else load_project(project.dest).commit,
        changes=changes,
        pretend=pretend,
        notes=notes,
    )


def _already_at(current: Revision | None, target: Revision | None, explicit: bool) -> bool:
    """Whether updating to `target` would be a no-op: the same commit, or (when no version
    was asked for) no newer one."""
    if current is None or target is None:
        return False
    if current.commit is not None and current.commit == target.commit:
        return True
    return not explicit and is_newer(target, current) is False


def _apply(
    project: Project,
    source: TemplateSource,
    target: str,
    answers: dict[str, Any],
    conflict: Conflict,
    notes: list[str],
) -> list[Change]:
    """Run Copier's update in `project`, keep the removed-but-edited files, list the changes."""
    import copier  # deferred: `fastgen --help` must stay instant

    notes += run_copier(
        copier.run_update,
        project.dest,
        data=answers,
        vcs_ref=target,
        defaults=True,
        overwrite=True,
        conflict=conflict,
    )
    kept: list[str] = []
    # Copier deletes what the new version removed, edited or not: compare with the old side.
    if deleted := deleted_files(project.dest):
        with rendered(project, source) as old:
            kept = removed_edits(project.dest, deleted, old)
        restore(project.dest, kept)
    return update_changes(project.dest, kept)


def _rename_commit(dest: Path, source: TemplateSource) -> None:
    """Record the commit the update reached by its name in the real template history.

    Copier names it from the repository it read; for a project from older fastgen that is a
    copy with a stand-in tag (see `update_source`), whose name would carry the tag along.
    """
    if source.history is None:
        return
    recorded = load_project(dest).commit
    if not recorded:
        return
    commit = git("rev-parse", f"{recorded}^{{commit}}", cwd=Path(source.url)).strip()
    name = describe(source.history, commit)
    answers = dest / ANSWERS_FILE
    answers.write_text(with_commit(answers.read_text(encoding="utf-8"), name), "utf-8")


def with_commit(answers: str, name: str) -> str:
    """The answers file's text with ``_commit`` set to `name`, always as a YAML string.

    Quoted, since a commit name can look like a number (``git describe --always`` gives
    ``3120681`` for some commits), which YAML would read back as an integer.
    """
    return re.sub(r"(?m)^_commit: .*$", lambda _: f"_commit: {json.dumps(name)}", answers)


@contextmanager
def throwaway_clone(dest: Path) -> Iterator[Path]:
    """A clone of the repository holding `dest`, in a temporary folder; yields the project in it.

    The tree is clean (checked before), so the clone holds exactly the project's files. It
    borrows the objects (``--shared``) and writes nothing into the original repository.
    """
    top = Path(git("rev-parse", "--show-toplevel", cwd=dest).strip())
    prefix = git("rev-parse", "--show-prefix", cwd=dest).strip()
    with tempfile.TemporaryDirectory(prefix="fastgen-pretend-") as workdir:
        clone = Path(workdir) / top.name
        git("clone", "-q", "--shared", "--", top, clone)
        yield clone / prefix


def _questions_at(url: str, ref: str) -> dict[str, Any] | None:
    """The template questions at `ref`, when the repository is local (else None: unchecked)."""
    import yaml

    if not Path(url).is_dir():
        return None
    text = git("show", f"{ref}:copier.yml", cwd=Path(url), check=False)
    config = yaml.safe_load(text) if text else None
    if not isinstance(config, dict):
        return None
    return {name: spec for name, spec in config.items() if not name.startswith("_")}
