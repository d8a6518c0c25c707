"""A new project's own git repository: what ``cargo new`` and ``uv init`` do, plus a commit.

``fastgen update`` merges through git and needs a commit to start from, so a project is
updatable from its first minute only when it is committed as generated.
"""

import shlex
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from .template_repo import GitError, git

# Seconds the first commit may take: a signing agent or a hook may ask for something.
COMMIT_TIMEOUT = 60.0


class GitState(StrEnum):
    """What `set_up_git` did."""

    COMMITTED = "committed"
    """A new repository with the generated files as its first commit."""
    NO_IDENTITY = "no-identity"
    """A new repository, nothing committed: git has no user name or e-mail."""
    INSIDE_REPOSITORY = "inside-repository"
    """Left alone: the folder is already inside a git work tree."""
    NO_GIT = "no-git"
    """Left alone: the git command is not installed."""
    SKIPPED = "skipped"
    """Left alone: asked not to (``--no-git``)."""
    FAILED = "failed"
    """git refused (a hook, commit signing...): the project is complete, not committed."""


@dataclass(frozen=True)
class GitSetup:
    """The outcome of `set_up_git`, and the command that would finish the job, if any."""

    state: GitState
    message: str
    """The first commit's message (used or to use)."""
    next_command: str | None = None
    detail: str = ""

    @property
    def summary(self) -> str:
        """One line on what was done, for ``fastgen new`` to print."""
        return {
            GitState.COMMITTED: f"Git: new repository, first commit '{self.message}'",
            GitState.NO_IDENTITY: (
                "Git: new repository, nothing committed (git has no user name/e-mail); set "
                "them and commit (see Next), so that `fastgen update` has a commit to merge into"
            ),
            GitState.INSIDE_REPOSITORY: "Git: inside an existing repository; nothing committed",
            GitState.NO_GIT: "Git: not installed; `fastgen update` will need a git repository",
            GitState.SKIPPED: "Git: skipped (--no-git); `fastgen update` needs a commit (see Next)",
            GitState.FAILED: (
                f"Git: not committed ({self.detail}); the project is complete: commit it "
                "yourself (see Next)"
            ),
        }[self.state]


def commit_message(service_name: str, version: str) -> str:
    """The first commit's message: ``Generate chat from fastgen v0.1.0``."""
    return f"Generate {service_name} from fastgen v{version}"


def inside_work_tree(folder: Path) -> bool:
    """Whether `folder` is inside an existing git work tree."""
    answer = git("rev-parse", "--is-inside-work-tree", cwd=folder, check=False, as_fastgen=False)
    return answer.strip() == "true"


def has_identity(folder: Path) -> bool:
    """Whether git knows who commits in `folder`, without guessing from the host name."""
    ident = git(
        "-c",
        "user.useConfigOnly=true",
        "var",
        "GIT_COMMITTER_IDENT",
        cwd=folder,
        check=False,
        as_fastgen=False,
    )
    return bool(ident.strip())


def set_up_git(
    dest: Path, written: Iterable[Path], message: str, *, enabled: bool = True
) -> GitSetup:
    """Make `dest` a git repository whose first commit holds the files fastgen wrote.

    Files that were in `dest` before (``--force``) are not added: they are the user's.

    Args:
        dest: the generated project.
        written: the files fastgen wrote, relative to `dest`.
        message: the first commit's message.
        enabled: False for ``--no-git``.
    """
    commit = f"git add -A && git commit -m {shlex.quote(message)}"
    if not enabled:
        return GitSetup(GitState.SKIPPED, message, f"git init && {commit}")
    if shutil.which("git") is None:
        return GitSetup(GitState.NO_GIT, message)
    if inside_work_tree(dest):
        return GitSetup(
            GitState.INSIDE_REPOSITORY,
            message,
            f"git add . && git commit -m {shlex.quote(message)}",
        )
    try:
        git("init", "-q", cwd=dest, as_fastgen=False)
        wanted = {path.as_posix() for path in written}
        # Only files git would track (ignored ones such as .env stay out), and only fastgen's.
        untracked = git("ls-files", "-z", "--others", "--exclude-standard", cwd=dest)
        paths = sorted(path for path in untracked.split("\0") if path in wanted)
        if paths:
            git("add", "--", *paths, cwd=dest, as_fastgen=False)
        if not has_identity(dest):
            return GitSetup(
                GitState.NO_IDENTITY,
                message,
                'git config --global user.name "Your Name" && git config --global user.email '
                f"you@example.com && git commit -m {shlex.quote(message)}",
            )
        # The user's own settings apply (hooks, signing): bounded, since they may wait.
        git("commit", "-q", "-m", message, cwd=dest, as_fastgen=False, timeout=COMMIT_TIMEOUT)
    except GitError as exc:
        return GitSetup(GitState.FAILED, message, commit, detail=str(exc))
    return GitSetup(GitState.COMMITTED, message)
