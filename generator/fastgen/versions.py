"""Template versions: git tags ``vX.Y.Z`` read as PEP 440 versions, the way Copier reads them."""

from collections.abc import Iterable

from packaging.version import InvalidVersion, Version

TAG_PREFIX = "v"


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


def is_newer(candidate: str | None, current: str | None) -> bool:
    """True when tag `candidate` names a higher version than tag `current`.

    A `current` that is no version (a bare commit hash) counts as older than any version.
    """
    new = parse_version(candidate) if candidate else None
    if new is None:
        return False
    old = parse_version(current) if current else None
    return old is None or new > old


def is_downgrade(current: str | None, target: str) -> bool:
    """True when both tags are versions and `target` is lower than `current`.

    A branch or commit as `target` is never called a downgrade: its version is unknown.
    """
    old = parse_version(current) if current else None
    new = parse_version(target)
    return old is not None and new is not None and new < old
