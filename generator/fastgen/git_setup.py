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
    outer: Path | None = None
    """The top of the repository the project was generated inside, if any."""

    @property
    def summary(self) -> str:
        """One line on what was done, for ``fastgen new`` to print."""
        if self.state is GitState.COMMITTED and self.outer is not None:
            return (
                f"Git: new repository nested inside the one at {self.outer} (its own history; "
                f"--no-git skips it), first commit '{self.message}'"
            )
        return {
            GitState.COMMITTED: f"Git: new repository, first commit '{self.message}'",
            GitState.NO_IDENTITY: (
                "Git: new repository, nothing committed (git has no user name/e-mail); set "
                "them and commit (see Next), so that `fastgen update` has a commit to merge into"
            ),
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


def enclosing_work_tree(folder: Path) -> Path | None:
    """The top of the git work tree `folder` is inside, or None."""
    answer = git("rev-parse", "--show-toplevel", cwd=folder, check=False, as_fastgen=False)
    return Path(answer.strip()) if answer.strip() else None


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
    # Inside another repository (a monorepo, a checkout) the project still gets its own:
    # `fastgen update` merges through the project's history, not the outer one's.
    outer = enclosing_work_tree(dest)
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
                outer=outer,
            )
        # The user's own settings apply (hooks, signing): bounded, since they may wait.
        git("commit", "-q", "-m", message, cwd=dest, as_fastgen=False, timeout=COMMIT_TIMEOUT)
    except GitError as exc:
        return GitSetup(GitState.FAILED, message, commit, detail=str(exc), outer=outer)
    return GitSetup(GitState.COMMITTED, message, outer=outer)
