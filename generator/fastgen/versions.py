"""Template versions, read the way Copier reads them.

Copier records a template commit as ``git describe --tags --always`` (``_commit``) and
compares commits by PEP 440 versions: a version tag as it is (``v0.2.0`` -> 0.2.0), a commit
after one as a post-release (``v0.2.0-3-gabc1234`` -> ``0.2.0.post3.dev0+abc1234``), and a
commit with no tag behind it by its number of commits (``abc1234`` -> ``0.0.0.post5.dev0+abc1234``,
dunamai's reading). So two commits of one history always compare, tagged or not.
"""

import re
from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

TAG_PREFIX = "v"
# `git describe` of a commit after a tag: <tag>-<commits since the tag>-g<abbreviated hash>.
_AFTER_TAG = re.compile(r"(?P<tag>.+)-(?P<distance>\d+)-g(?P<hash>[0-9a-f]+)")


def release_tag(version: str) -> str:
    """The git tag of a fastgen/template version, e.g. ``0.2.0`` -> ``v0.2.0``."""
    return f"{TAG_PREFIX}{version}"


def parse_version(tag: str) -> Version | None:
    """The PEP 440 version a tag names (``v0.2.0`` -> 0.2.0), or None for other tags."""
    try:
        return Version(tag)
    except InvalidVersion:
        return None


def latest_tag(tags: Iterable[str], *, prereleases: bool = False) -> str | None:
    """The tag with the highest PEP 440 version, or None when no tag is a version.

    Pre-releases are skipped unless asked for, as Copier skips them when it picks the
    version to render.
    """
    best: tuple[Version, str] | None = None
    for tag in tags:
        version = parse_version(tag)
        if version is None or (version.is_prerelease and not prereleases):
            continue
        if best is None or version > best[0]:
            best = (version, tag)
    return best[1] if best else None


def described_version(description: str, commits: int | None = None) -> Version | None:
    """The version Copier gives a commit, from its ``git describe --tags --always``.

    Args:
        description: the describe output (what Copier records as ``_commit``).
        commits: for a commit with no tag behind it (the description is its abbreviated
            hash), how many commits its history holds (``git rev-list --count``). A hash can
            look like a version (``3036289``), so only the caller can tell.

    Returns:
        None when the description names no version (a tag that is no version): the caller
        must then ask Copier itself.
    """
    if commits is not None:
        return Version(f"0.0.0.post{commits}.dev0+{description}")
    if (version := parse_version(description)) is not None:
        return version
    if match := _AFTER_TAG.fullmatch(description):
        base = parse_version(match["tag"])
        if base is None or base.is_postrelease or base.is_devrelease or base.local:
            return None  # dunamai would look further back than this tag
        return parse_version(f"{base}.post{match['distance']}.dev0+{match['hash']}")
    return None
