"""Wheel build hook: ship the template's history beside the template.

`fastgen update` works offline by serving the canonical template URL from a local git
repository of the template's versions. The wheel carries them as a git bundle of this
repository's HEAD (with its whole history) and its tags, so a wheel built from an untagged
commit can still update projects made by an older one: Copier orders untagged commits by
their number of commits. Without git, or outside a git checkout (an sdist), nothing is
added and fastgen falls back to the one version it ships.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_TARGET = "fastgen/_template_history.bundle"
GIT_TIMEOUT = 300  # seconds; a bundle of a large history takes a while, a hung git forever


class CustomBuildHook(BuildHookInterface):
    """Adds ``fastgen/_template_history.bundle`` to regular (not editable) wheels."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Write the bundle and force-include it into the wheel."""
        if version == "editable" or shutil.which("git") is None:
            return
        root = Path(self.root)
        if not _is_full_checkout(root):
            return
        self._workdir = tempfile.mkdtemp(prefix="fastgen-build-")
        bundle = Path(self._workdir) / "history.bundle"
        _git(root, "bundle", "create", "-q", str(bundle), "--tags", "HEAD", check=True)
        build_data["force_include"][str(bundle)] = BUNDLE_TARGET

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary bundle."""
        workdir = getattr(self, "_workdir", None)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)


def _git(root: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args],
        capture_output=True,
        text=True,
        check=check,
        timeout=GIT_TIMEOUT,
    )


def _is_full_checkout(root: Path) -> bool:
    """Whether `root` is the top of a git checkout with a commit and its whole history.

    An sdist unpacked inside some other checkout must not ship that checkout's history, and
    a shallow clone (CI's default) would make every commit look like the first: versions
    computed from it would be wrong, so such a wheel ships no history instead.
    """
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root.resolve():
        return False
    shallow = _git(root, "rev-parse", "--is-shallow-repository")
    head = _git(root, "rev-parse", "-q", "--verify", "HEAD")
    return shallow.stdout.strip() == "false" and head.returncode == 0
