"""``fastgen update`` and ``fastgen check``: move a generated project to a newer template version.

Copier's three-way merge does the work (``copier.run_update``); this module makes sure it
runs only on a project it can update (answers file, git, clean tree, known version), serves
the recorded template source offline when this fastgen carries it, and reports what changed
and which files hold conflicts, which Copier itself does not signal.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .data import parse_data
from .errors import UsageError
from .generate import ANSWERS_FILE, _read_answers, is_remote, run_copier
from .refs import list_refs, require_ref, tags
from .template_repo import (
    canonical_url,
    expand_url,
    git,
    packaged_template,
    redirected,
)
from .versions import is_downgrade, is_newer, latest_tag

Conflict = Literal["inline", "rej"]
CONFLICT_MARKER = "<<<<<<< before updating"


@dataclass(frozen=True)
class Project:
    """A generated project, as its answers file describes it."""

    dest: Path
    answers: dict[str, Any]

    @property
    def src_path(self) -> str:
        """The template source recorded at generation or the last update."""
        return str(self.answers.get("_src_path", ""))

    @property
    def commit(self) -> str | None:
        """The template version (tag, or commit) the project is at."""
        commit = self.answers.get("_commit")
        return str(commit) if commit else None


@dataclass(frozen=True)
class CheckResult:
    """Whether a newer template version exists for a project."""

    dest: Path
    source: str
    current: str | None
    latest: str | None

    @property
    def update_available(self) -> bool:
        """True when `latest` is a higher version than `current`."""
        return is_newer(self.latest, self.current)

    def as_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data (``fastgen check --json``)."""
        return {
            "project": str(self.dest),
            "source": self.source,
            "current": self.current,
            "latest": self.latest,
            "update_available": self.update_available,
        }


@dataclass(frozen=True)
class UpdateResult:
    """What `update_project` did (or, with `pretend`, would do)."""

    dest: Path
    source: str
    from_version: str | None
    to_version: str | None
    changed: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    up_to_date: bool = False
    pretend: bool = False
    notes: list[str] = field(default_factory=list)


def load_project(dest: Path) -> Project:
    """Read a generated project's answers.

    Raises:
        UsageError: `dest` is not a folder or has no Copier answers file.
    """
    dest = dest.expanduser().resolve()
    if not dest.is_dir():
        raise UsageError(f"{dest} is not a folder")
    answers_path = dest / ANSWERS_FILE
    if not answers_path.is_file():
        raise UsageError(f"{dest} is not a generated project: it has no {ANSWERS_FILE}")
    answers = _read_answers(answers_path)
    if not answers.get("_src_path"):
        raise UsageError(f"{answers_path} records no _src_path: nothing to update from")
    return Project(dest=dest, answers=answers)


def _require_clean_git(project: Project) -> None:
    if git("rev-parse", "--show-toplevel", cwd=project.dest, check=False).strip() == "":
        raise UsageError(
            f"{project.dest} is not a git repository; run `git init && git add -A && "
            "git commit -m init` first (updates merge through git)"
        )
    if git("status", "--porcelain", "--", ".", cwd=project.dest).strip():
        raise UsageError(f"{project.dest} has uncommitted changes; commit or stash them first")
    if not project.commit:
        raise UsageError(
            f"{project.dest / ANSWERS_FILE} records no _commit: the project was generated "
            "from a template folder outside git and cannot be updated"
        )


@contextmanager
def template_access(project: Project, src: str | None) -> Iterator[tuple[str, str, list[str]]]:
    """Make the project's recorded template source readable by git for the block.

    * `src` given: the recorded URL is redirected to `src` (answers keep the recorded URL).
    * the recorded URL is fastgen's canonical one: served from the template history this
      fastgen carries, offline.
    * otherwise: the recorded source, as it is.

    Yields:
        The URL git reads the versions from, a description of it for messages, and notes.

    Raises:
        UsageError: the project's version is not in the template history fastgen carries.
    """
    recorded = expand_url(project.src_path)
    if src is not None:
        target = src if is_remote(src) else str(Path(src).expanduser().resolve())
        if not is_remote(src) and not Path(target).exists():
            raise UsageError(f"--src {src}: no such folder")
        target_url = expand_url(target)
        if target_url == recorded:
            yield recorded, project.src_path, []
            return
        with redirected({recorded: target_url}):
            yield target_url, target, []
        return
    if recorded != expand_url(canonical_url()):
        yield recorded, project.src_path, []
        return
    with packaged_template() as (url, history):
        commit = project.commit or ""
        if not git(
            "rev-parse", "-q", "--verify", f"{commit}^{{commit}}", cwd=history.repo, check=False
        ):
            raise UsageError(
                f"{project.dest} is at template {commit}, which this fastgen does not carry "
                f"(it has up to {history.tag}); upgrade fastgen or pass --src {url}"
            )
        yield str(history.repo), f"{url} (carried by fastgen, offline)", list(history.notes)


def check_project(dest: Path, *, src: str | None = None) -> CheckResult:
    """Tell whether a newer template version than the project's exists.

    Args:
        dest: the generated project.
        src: read the versions from this template repository instead of the recorded one.

    Raises:
        UsageError: `dest` is not a generated project.
        FastgenError: the template's versions cannot be read.
    """
    project = load_project(dest)
    with template_access(project, src) as (url, shown, _):
        latest = latest_tag(tags(list_refs(url)))
    return CheckResult(dest=project.dest, source=shown, current=project.commit, latest=latest)


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

    Args:
        dest: the generated project: a git repository with no uncommitted changes.
        src: another copy of the template repository (a local clone, a fork) to read the
            versions from for this update; ``.copier-answers.yml`` keeps the recorded source.
        vcs_ref: the template version (tag, branch, commit) to update to; default: the newest.
        conflict: ``inline`` conflict markers, or ``rej`` files beside the conflicted files.
        pretend: compute everything, write nothing.
        data: answers to change or add, as ``KEY=VALUE``.

    Raises:
        UsageError: not a project, not git, uncommitted changes, unknown `vcs_ref`, bad data.
        FastgenError: the template could not be read or rendered.
    """
    import copier  # deferred: `fastgen --help` must stay instant

    project = load_project(dest)
    _require_clean_git(project)
    with template_access(project, src) as (url, shown, notes):
        refs = list_refs(url) if vcs_ref is None else require_ref(url, vcs_ref, shown)
        if vcs_ref is not None and is_downgrade(project.commit, vcs_ref):
            raise UsageError(
                f"--vcs-ref {vcs_ref} is older than the project's template {project.commit}: "
                "downgrades are not supported"
            )
        target = vcs_ref or latest_tag(tags(refs)) or "HEAD"
        if vcs_ref is None and not data and not is_newer(target, project.commit):
            return UpdateResult(
                dest=project.dest,
                source=shown,
                from_version=project.commit,
                to_version=project.commit,
                up_to_date=True,
                notes=notes,
            )
        answers = parse_data(data, _questions_at(url, target))
        notes += run_copier(
            copier.run_update,
            project.dest,
            data=answers,
            vcs_ref=target,
            defaults=True,
            overwrite=True,
            conflict=conflict,
            pretend=pretend,
        )
    after = load_project(project.dest)
    return UpdateResult(
        dest=project.dest,
        source=shown,
        from_version=project.commit,
        to_version=target if pretend else after.commit,
        changed=[] if pretend else changed_files(project.dest),
        conflicts=[] if pretend else conflicted_files(project.dest),
        pretend=pretend,
        notes=notes,
    )


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


def _status(dest: Path, *extra: str) -> list[tuple[str, str]]:
    """``git status`` entries under `dest`: (two-letter code, path relative to `dest`)."""
    output = git(
        "status", "--porcelain", "-z", "--untracked-files=all", *extra, "--", ".", cwd=dest
    )
    entries: list[tuple[str, str]] = []
    fields = iter(output.split("\0"))
    for entry in fields:
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            next(fields, None)  # the rename's source path follows; the new path is what changed
        entries.append((code, path))
    prefix = git("rev-parse", "--show-prefix", cwd=dest).strip()
    return [(code, path.removeprefix(prefix)) for code, path in entries]


def changed_files(dest: Path) -> list[str]:
    """Files the update changed: everything ``git status`` lists (the tree was clean before)."""
    return sorted(path for _, path in _status(dest))


def conflicted_files(dest: Path) -> list[str]:
    """Files left with conflicts: unmerged in git, holding Copier's markers, or ``.rej`` files."""
    conflicts = {
        path
        for code, path in _status(dest)
        if "U" in code or code in ("AA", "DD") or _has_marker(dest / path)
    }
    # Without --exclude-standard, ignored .rej files are listed too.
    conflicts.update(git("ls-files", "-z", "--others", "--", "*.rej", cwd=dest).split("\0"))
    conflicts.discard("")
    return sorted(conflicts)


def _has_marker(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            return any(line.rstrip() == CONFLICT_MARKER.encode() for line in stream)
    except (IsADirectoryError, FileNotFoundError):
        return False
