"""What an update changed, read from git, and the edited files Copier would delete.

The project's tree is clean before an update, so ``git status`` afterwards is exactly the
update's work: new files (A), changed (M), deleted (D), and conflicts (C). Copier also
deletes a file the new template version removed even when the user edited it; this module
finds such files (by comparing them with the old version's rendering) and restores them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .leftovers import REJ_SUFFIX, find_leftovers, resolve_hint
from .template_repo import git

ChangeKind = Literal["A", "M", "D", "C"]
REMOVED_EDITED = "removed by the template, edited here: kept"
MARKERS = "conflict markers"


@dataclass(frozen=True)
class Change:
    """One file an update added (A), modified (M), deleted (D) or left in conflict (C)."""

    path: str
    kind: ChangeKind
    note: str = ""

    def as_dict(self) -> dict[str, str]:
        """The change as JSON-ready data."""
        return {"path": self.path, "status": self.kind, "note": self.note}


def git_status(dest: Path) -> list[tuple[str, str]]:
    """``git status`` entries under `dest`: (two-letter code, path relative to `dest`)."""
    output = git("status", "--porcelain", "-z", "--untracked-files=all", "--", ".", cwd=dest)
    entries: list[tuple[str, str]] = []
    fields = iter(output.split("\0"))
    for entry in fields:
        if not entry:
            continue
        code, path = entry[:2], entry[3:]
        if code[0] in "RC":
            next(fields, None)  # the rename's source path follows; the new path is what changed
        entries.append((code, path))
    # Porcelain paths are relative to the repository root; the project may be a subfolder.
    prefix = git("rev-parse", "--show-prefix", cwd=dest).strip()
    return [(code, path.removeprefix(prefix)) for code, path in entries]


def deleted_files(dest: Path) -> list[str]:
    """Tracked files missing from the work tree (not unmerged ones: those are conflicts)."""
    return sorted(path for code, path in git_status(dest) if code in (" D", "D "))


def removed_edits(dest: Path, deleted: Iterable[str], old_rendering: Path) -> list[str]:
    """Which of the `deleted` files the user had edited.

    A file counts as edited when its committed content (``HEAD``) differs from what the
    project's previous template version rendered (`old_rendering`, a folder). A file the old
    version did not render was not the template's to delete: it is left out.
    """
    candidates = [path for path in deleted if (old_rendering / path).is_file()]
    if not candidates:
        return []
    ours = git("rev-parse", *(f"HEAD:./{path}" for path in candidates), cwd=dest).split()
    # --no-filters: the blob of the bytes as rendered, as Copier would write them.
    theirs = git("hash-object", "--no-filters", "--", *candidates, cwd=old_rendering).split()
    return [path for path, a, b in zip(candidates, ours, theirs, strict=True) if a != b]


def restore(dest: Path, paths: Sequence[str]) -> None:
    """Put the committed version of `paths` back, and drop the ``.rej`` files Copier made
    for them (they hold the user's edit as a patch against a file that no longer exists)."""
    if not paths:
        return
    git("restore", "--source=HEAD", "--worktree", "--", *paths, cwd=dest)
    for path in paths:
        (dest / f"{path}{REJ_SUFFIX}").unlink(missing_ok=True)


def update_changes(dest: Path, kept: Sequence[str] = ()) -> list[Change]:
    """The changes an update just made in `dest` (clean before), sorted by path.

    Args:
        dest: the project.
        kept: files the template removed that were restored because the user had edited them.
    """
    leftovers = set(find_leftovers(dest))
    changes: dict[str, Change] = {}
    for code, path in git_status(dest):
        if "U" in code or code in ("AA", "DD") or path in leftovers:
            changes[path] = _conflict(path)
        elif code == "??" or "A" in code:
            changes[path] = Change(path, "A")
        elif "D" in code:
            changes[path] = Change(path, "D")
        elif f"{path}{REJ_SUFFIX}" in leftovers:
            changes[path] = Change(path, "M", f"the template's lines; yours are in {path}.rej")
        else:
            changes[path] = Change(path, "M")
    for path in leftovers - changes.keys():  # ignored .rej files: git status hides them
        changes[path] = _conflict(path)
    for path in kept:
        changes[path] = Change(path, "C", REMOVED_EDITED)
    return [changes[path] for path in sorted(changes)]


def _conflict(path: str) -> Change:
    if path.endswith(REJ_SUFFIX):
        original = path.removesuffix(REJ_SUFFIX)
        return Change(path, "C", f"your lines, rejected: {original} has the template's")
    return Change(path, "C", MARKERS)


def conflict_hint(conflicts: Sequence[Change]) -> str:
    """How to resolve the conflicts an update left, in one clause."""
    merged = [change.path for change in conflicts if change.note != REMOVED_EDITED]
    kept = [change.path for change in conflicts if change.note == REMOVED_EDITED]
    steps = [resolve_hint(merged).removesuffix(", then commit")] if merged else []
    if kept:
        steps.append(f"keep or delete {', '.join(kept)} (the template no longer has it)")
    return ", ".join(steps) + ", then commit"
