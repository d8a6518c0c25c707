"""Where an update reads the template from: one answer for `fastgen check` and `fastgen update`.

Copier clones the source recorded in the answers with the git command, so git's URL
rewriting (``url.<base>.insteadOf``) decides what it really reads: fastgen's own rules
(``--src``, or the template history it carries for the canonical URL) and any rule in the
user's git config. On a tie git takes the user's, so the source is always asked of git
itself, and both commands list versions from exactly where Copier will clone.
"""

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from . import __version__
from .errors import UsageError
from .generate import ANSWERS_FILE, is_remote
from .project import Project
from .template_repo import (
    TemplateHistory,
    canonical_url,
    effective_url,
    expand_url,
    git,
    redirected,
    shipped_history,
    template_urls,
)
from .versions import TAG_PREFIX, parse_version


@dataclass(frozen=True)
class TemplateSource:
    """The template repository an update reads, as git will really read it."""

    url: str
    """What git fetches (a local path or URL): list versions and render from here."""
    shown: str
    """Which source this is, for messages."""
    notes: tuple[str, ...] = ()
    history: Path | None = None
    """The template history commits are named by, when `url` is a copy of it with a
    stand-in tag (a project from older fastgen): the update records that name."""


@contextmanager
def resolve_source(project: Project, src: str | None) -> Iterator[TemplateSource]:
    """Make the project's template readable by git for the block, and say from where.

    * `src` given: the recorded URL is redirected to `src` for this run (the answers keep
      the recorded URL).
    * the recorded URL is fastgen's canonical one (or an older name of it): served from the
      template history this fastgen carries, offline.
    * otherwise: the recorded source, as it is.

    In every case a rewrite rule in the user's git config for the recorded URL is honoured
    as git honours it, and named in `TemplateSource.shown`.

    Raises:
        UsageError: `src` is no folder or URL, a user's rewrite rule overrides `src`, or the
            project's version is not in the template history fastgen carries.
    """
    recorded = expand_url(project.src_path)
    if src is not None:
        target = src if is_remote(src) else str(Path(src).expanduser().resolve())
        if not is_remote(src) and not Path(target).exists():
            raise UsageError(f"--src {src}: no such folder")
        target_url = expand_url(target)
        if target_url == recorded:
            yield _as_configured(project.src_path)
            return
        with redirected({recorded: target_url}):
            used = effective_url(recorded)
            if used != target_url:
                raise UsageError(
                    f"--src {src} cannot take effect: your git config rewrites {recorded} to "
                    f"{used} (url.{used}.insteadOf), and git prefers that rule; remove the "
                    "rule (git config --global --get-regexp '^url\\.' lists them) to use --src"
                )
            yield TemplateSource(url=target_url, shown=target)
        return
    if recorded not in template_urls():
        yield _as_configured(project.src_path)
        return
    url = canonical_url()
    with (
        shipped_history() as history,
        _served(project, history) as (repo, legacy),
        redirected(dict.fromkeys(template_urls(), repo)),
    ):
        used = effective_url(recorded)
        if used != repo.resolve().as_posix():
            yield TemplateSource(
                url=used,
                shown=_rewritten(project.src_path, used),
                notes=(
                    *history.notes,
                    f"your git config rewrites {recorded}, so the template is read from "
                    f"{used}, not from the history this fastgen carries",
                ),
            )
            return
        if not _has_commit(repo, project.commit or ""):
            raise UsageError(
                f"{project.dest} is at template {project.commit}, which this fastgen does "
                f"not carry (it has up to {history.name}); upgrade fastgen or pass --src {url}"
            )
        yield TemplateSource(
            url=str(repo),
            shown=f"{url} (carried by fastgen, offline)",
            notes=(*history.notes, *legacy),
            history=history.repo if legacy else None,
        )


def _has_commit(repo: Path, ref: str) -> bool:
    return bool(git("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", cwd=repo, check=False))


@contextmanager
def _served(project: Project, history: TemplateHistory) -> Iterator[tuple[Path, tuple[str, ...]]]:
    """The repository to serve the canonical URL from, and a note when it is not `history`.

    Older fastgen recorded ``_commit: v{its version}`` for a template whose history had no
    such tag (a made-up release). For such a project the tag is set, in a throwaway
    copy of the history, on the commit the project was most likely generated from (see
    `_legacy_base`): Copier can then render its old side, and every later commit of the
    history counts as newer than it (``v0.1.0-<n>-g<hash>``).
    """
    recorded = project.commit or ""
    version = parse_version(recorded)
    if (
        version is None
        or not recorded.startswith(TAG_PREFIX)  # a hash can parse as a version: 3036289
        or _has_commit(history.repo, recorded)
        or Version(version.public) > Version(__version__)
    ):
        yield history.repo, ()
        return
    base = _legacy_base(history.repo, history.commit, project)
    with tempfile.TemporaryDirectory(prefix="fastgen-legacy-") as workdir:
        repo = Path(workdir) / "repo"
        git("clone", "-q", "--shared", "--no-checkout", "--", history.repo, repo)
        git("tag", recorded, base, cwd=repo)
        yield (
            repo,
            (
                f"{project.dest} records template {recorded}, a version older fastgen named "
                f"without such a tag; read as commit {base[:12]}, the template when it was made",
            ),
        )


def _legacy_base(repo: Path, shipped: str, project: Project) -> str:
    """The history's last commit before the project's answers were first committed.

    Without that date (no git history), the oldest commit: an older base re-applies changes
    the project already has, which merge cleanly, where a newer one would drop changes.
    """
    created = git(
        "log", "--reverse", "--format=%ct", "--", ANSWERS_FILE, cwd=project.dest, check=False
    ).split()
    if created:
        before = git("rev-list", "-1", f"--before={created[0]}", shipped, cwd=repo).strip()
        if before:
            return before
    return git("rev-list", "--max-parents=0", shipped, cwd=repo).split()[-1]


def _as_configured(src_path: str) -> TemplateSource:
    """The recorded source, through whatever rewrite rule the user's git config has."""
    recorded = expand_url(src_path)
    used = effective_url(recorded)
    if used == recorded:
        return TemplateSource(url=recorded, shown=src_path)
    return TemplateSource(url=used, shown=_rewritten(src_path, used))


def _rewritten(src_path: str, used: str) -> str:
    return f"{used} ({src_path}, rewritten by your git config's url.{used}.insteadOf)"
