"""Template commits as Copier names and orders them: what ``_commit`` says, and its version.

A local repository is asked with git directly (a few fast commands, checked against Copier
by the tests); anything else is read through Copier's own ``Template``, which clones it as
``copier update`` will.
"""

from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from .refs import tags
from .template_repo import describe, git
from .versions import described_version, latest_tag, parse_version


@dataclass(frozen=True)
class Revision:
    """One template commit, as Copier sees it."""

    name: str
    """What Copier records as ``_commit`` (``v0.2.0``, ``v0.2.0-3-gabc1234``, ``abc1234``)."""
    version: Version | None
    """Its PEP 440 version; None when Copier would find none (``copier update`` refuses)."""
    commit: str | None = None
    """The full commit hash, when known."""


def revision(url: str, ref: str, refs: dict[str, str] | None = None) -> Revision | None:
    """The commit `ref` names in the repository at `url`; None when it has no such commit.

    Args:
        url: a local repository (path) or a git URL.
        ref: a tag, branch, ``HEAD``, a commit hash or a ``git describe`` output.
        refs: the repository's refs (`refs.list_refs`), to spare git calls for tags.
    """
    refs = refs or {}
    tagged = refs.get(f"refs/tags/{ref}")
    if tagged is not None and (version := parse_version(ref)) is not None:
        return Revision(name=ref, version=version, commit=tagged)
    if Path(url).is_dir():
        return _local_revision(Path(url), ref)
    return _copier_revision(url, ref)


def newest_revision(url: str, refs: dict[str, str]) -> Revision | None:
    """The newest version a repository offers: its newest release tag, or its HEAD if newer.

    Copier itself defaults to the newest tag; HEAD counts too because fastgen renders the
    commit it ships, which may be past every tag: a project made from it would otherwise see
    the newest tag as a downgrade.
    """
    candidates: list[Revision] = []
    if (tag := latest_tag(tags(refs))) is not None:
        found = revision(url, tag, refs)
        candidates += [found] if found else []
    if "HEAD" in refs and (head := revision(url, "HEAD", refs)) is not None:
        candidates.append(head)
    known = [candidate for candidate in candidates if candidate.version is not None]
    if not known:
        return candidates[0] if candidates else None
    # The first (a tag) wins a tie with HEAD on the same commit.
    return max(known, key=lambda candidate: candidate.version or Version("0"))


def is_older(candidate: Revision | None, current: Revision | None) -> bool | None:
    """Whether `candidate` is an older version than `current`; None when either is unknown."""
    if candidate is None or current is None or candidate.version is None or current.version is None:
        return None
    return candidate.version < current.version


def is_newer(candidate: Revision | None, current: Revision | None) -> bool | None:
    """Whether `candidate` is a newer version than `current`; None when either is unknown."""
    return is_older(current, candidate)


def _local_revision(repo: Path, ref: str) -> Revision | None:
    commit = git("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", cwd=repo, check=False).strip()
    if not commit:
        return None
    name = describe(repo, commit)
    # No tag behind the commit: describe fell back to the abbreviated hash (--always).
    untagged = commit.startswith(name)
    commits = int(git("rev-list", "--count", commit, cwd=repo).strip()) if untagged else None
    version = described_version(name, commits)
    if version is None:
        # A tag that is no version: dunamai looks further back; let Copier answer.
        return _copier_revision(str(repo), commit, name=name)
    return Revision(name=name, version=version, commit=commit)


def _copier_revision(url: str, ref: str, name: str | None = None) -> Revision | None:
    """Copier's own answer: it clones `url` at `ref` and reads the version there."""
    from copier._template import Template  # deferred: costs ~0.7 s
    from plumbum import ProcessExecutionError

    template = Template(url=url, ref=ref)
    try:
        return Revision(
            name=name or template.commit or ref,
            version=template.version,
            commit=template.commit_hash,
        )
    except ProcessExecutionError:
        return None  # no such ref
    finally:
        template._cleanup()
