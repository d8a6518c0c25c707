"""What an update can leave to resolve: conflict markers and ``.rej`` files.

Copier exits 0 on conflicts and says nothing about them, and a second update over an
unresolved one would merge the markers themselves. So `fastgen update` refuses to run over
them and `fastgen check` reports them, whichever tool left them (fastgen or plain Copier).
"""

from pathlib import Path

from .template_repo import git

# Copier's labels (`<<<<<<< before updating`); any label counts, so git's own merges do too.
MARKER_START = b"<<<<<<< "
MARKER_END = b">>>>>>> "
CONFLICT_MARKER = "<<<<<<< before updating"
REJ_SUFFIX = ".rej"
# The README's commands for finding leftovers without fastgen.
FIND_MARKERS = "grep -rn '^<<<<<<< ' --exclude-dir=.git ."
FIND_REJ = "find . -name '*.rej' -not -path './.git/*'"


def has_markers(path: Path) -> bool:
    """Whether `path` holds a conflict block: a ``<<<<<<< `` line, then a ``>>>>>>> `` line.

    Both lines are required, so a document that merely quotes one marker is not a conflict.
    """
    opened = False
    try:
        with path.open("rb") as stream:
            for line in stream:
                if line.startswith(MARKER_START):
                    opened = True
                elif opened and line.startswith(MARKER_END):
                    return True
    except OSError:  # deleted since git listed it, a directory (submodule), unreadable
        return False
    return False


def in_git(dest: Path) -> bool:
    """Whether `dest` is inside a git work tree."""
    return git("rev-parse", "--is-inside-work-tree", cwd=dest, check=False).strip() == "true"


def find_leftovers(dest: Path) -> list[str]:
    """Files under `dest` with conflict markers, and ``.rej`` files, relative to `dest`.

    Files git ignores are not searched for markers (a venv is no one's conflict), but
    ``.rej`` files are found even when ignored. Outside git nothing can have been merged:
    the result is empty.
    """
    if not in_git(dest):
        return []
    listed = git(
        "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".", cwd=dest
    )
    found = {path for path in listed.split("\0") if path and has_markers(dest / path)}
    # Without --exclude-standard, ignored .rej files are listed too.
    rejected = git("ls-files", "-z", "--cached", "--others", "--", f"*{REJ_SUFFIX}", cwd=dest)
    found.update(path for path in rejected.split("\0") if path and (dest / path).is_file())
    return sorted(found)


def resolve_hint(paths: list[str]) -> str:
    """How to resolve the given leftovers, in one clause."""
    steps = []
    if any(not path.endswith(REJ_SUFFIX) for path in paths):
        steps.append(f"edit out the markers (find them with: {FIND_MARKERS})")
    if any(path.endswith(REJ_SUFFIX) for path in paths):
        steps.append("apply each .rej file's lines by hand and delete it")
    return ", ".join(steps) + ", then commit"
