"""A template repository's refs: listing them, checking a ``--vcs-ref``, naming the versions."""

import re
from pathlib import Path

from .errors import FastgenError, UsageError
from .template_repo import GitError, git
from .versions import parse_version

SHOWN_VERSIONS = 5
COMMIT_HASH = re.compile(r"[0-9a-f]{7,40}")


def list_refs(url: str) -> dict[str, str]:
    """Every ref name of a repository (``v1``, ``main``, ``refs/tags/v1``...) -> its commit.

    Raises:
        FastgenError: git cannot read the repository.
    """
    try:
        listing = git("ls-remote", "--", url)
    except GitError as exc:
        raise FastgenError(f"cannot read template versions from {url}: {exc}") from exc
    refs: dict[str, str] = {}
    for line in listing.splitlines():
        sha, _, name = line.partition("\t")
        name = name.removesuffix("^{}")
        refs[name] = sha
        for prefix in ("refs/tags/", "refs/heads/"):
            if name.startswith(prefix):
                refs.setdefault(name.removeprefix(prefix), sha)
    return refs


def tags(refs: dict[str, str]) -> list[str]:
    """The tag names among `refs`."""
    return [name.removeprefix("refs/tags/") for name in refs if name.startswith("refs/tags/")]


def ref_exists(url: str, ref: str, refs: dict[str, str]) -> bool:
    """Whether `ref` names a tag, branch or (in a local repository) commit of `url`."""
    if ref in refs:
        return True
    if Path(url).is_dir():
        # Commit hashes are not listed by ls-remote; a local repository can say.
        return bool(
            git("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", cwd=Path(url), check=False)
        )
    # A remote cannot be asked about a commit without cloning it: let the clone decide.
    return COMMIT_HASH.fullmatch(ref) is not None


def newest_versions(refs: dict[str, str], count: int = SHOWN_VERSIONS) -> list[str]:
    """The `count` highest version tags, newest first."""
    versions = [(version, tag) for tag in tags(refs) if (version := parse_version(tag))]
    return [tag for _, tag in sorted(versions, reverse=True)[:count]]


def require_ref(url: str, ref: str, shown: str) -> dict[str, str]:
    """Check that `ref` exists in the repository at `url`; return its refs.

    Raises:
        UsageError: no such tag, branch or commit; the message names the newest versions.
    """
    refs = list_refs(url)
    if not ref_exists(url, ref, refs):
        known = newest_versions(refs)
        versions = f"; versions: {', '.join(known)}" if known else "; it has no version tags"
        raise UsageError(
            f"unknown --vcs-ref {ref!r}: no such tag, branch or commit in {shown}{versions}"
        )
    return refs
