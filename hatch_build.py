"""Wheel build hook: ship the template's tagged history beside the template.

`fastgen update` works offline by serving the canonical template URL from a local git
repository of the template's versions. The wheel carries them as a git bundle of this
repository's ``v*`` tags (plus HEAD); without git, or in a clone without tags (a fresh CI
checkout, an sdist), nothing is added and fastgen falls back to the one version it ships.
"""

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

BUNDLE_TARGET = "fastgen/_template_history.bundle"


class CustomBuildHook(BuildHookInterface):
    """Adds ``fastgen/_template_history.bundle`` to regular (not editable) wheels."""

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Write the bundle and force-include it into the wheel."""
        if version == "editable" or shutil.which("git") is None:
            return
        root = Path(self.root)
        tags = subprocess.run(
            ["git", "-C", str(root), "tag", "--list", "v*"],
            capture_output=True,
            text=True,
            check=False,
        )
        if tags.returncode != 0 or not tags.stdout.strip():
            return
        self._workdir = tempfile.mkdtemp(prefix="fastgen-build-")
        bundle = Path(self._workdir) / "history.bundle"
        subprocess.run(
            ["git", "-C", str(root), "bundle", "create", "-q", str(bundle), "--tags=v*", "HEAD"],
            capture_output=True,
            check=True,
        )
        build_data["force_include"][str(bundle)] = BUNDLE_TARGET

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary bundle."""
        workdir = getattr(self, "_workdir", None)
        if workdir:
            shutil.rmtree(workdir, ignore_errors=True)
