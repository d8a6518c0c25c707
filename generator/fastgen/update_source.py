"""Where an update reads the template from: one answer for `fastgen check` and `fastgen update`.

Copier clones the source recorded in the answers with the git command, so git's URL
rewriting (``url.<base>.insteadOf``) decides what it really reads: fastgen's own rules
(``--src``, or the template history it carries for the canonical URL) and any rule in the
user's git config. On a tie git takes the user's, so the source is always asked of git
itself, and both commands list versions from exactly where Copier will clone.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError
from .generate import is_remote
from .project import Project
from .template_repo import (
    effective_url,
    expand_url,
    git,
    packaged_template,
    redirected,
    template_urls,
)


@dataclass(frozen=True)
class TemplateSource:
    """The template repository an update reads, as git will really read it."""

    url: str
    """What git fetches (a local path or URL): list versions and render from here."""
    shown: str
    """Which source this is, for messages."""
    notes: tuple[str, ...] = ()


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
    with packaged_template() as (url, history):
        used = effective_url(recorded)
        if used != history.repo.resolve().as_posix():
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
        commit = project.commit or ""
        if not git(
            "rev-parse", "-q", "--verify", f"{commit}^{{commit}}", cwd=history.repo, check=False
        ):
            raise UsageError(
                f"{project.dest} is at template {commit}, which this fastgen does not carry "
                f"(it has up to {history.tag}); upgrade fastgen or pass --src {url}"
            )
        yield TemplateSource(
            url=str(history.repo),
            shown=f"{url} (carried by fastgen, offline)",
            notes=history.notes,
        )


def _as_configured(src_path: str) -> TemplateSource:
    """The recorded source, through whatever rewrite rule the user's git config has."""
    recorded = expand_url(src_path)
    used = effective_url(recorded)
    if used == recorded:
        return TemplateSource(url=recorded, shown=src_path)
    return TemplateSource(url=used, shown=_rewritten(src_path, used))


def _rewritten(src_path: str, used: str) -> str:
    return f"{used} ({src_path}, rewritten by your git config's url.{used}.insteadOf)"
