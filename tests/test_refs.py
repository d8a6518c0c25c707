"""Template refs: checking a --vcs-ref and naming the newest versions when it is unknown."""

from pathlib import Path

import pytest

from fastgen.errors import UsageError
from fastgen.refs import newest_versions, ref_exists, require_ref
from tests.conftest import git, make_template_repo


def test_newest_versions_are_ordered_as_versions() -> None:
    refs = {f"refs/tags/v0.{n}.0": "x" for n in range(12)}
    refs |= {"refs/heads/main": "y", "refs/tags/latest": "z", "v0.1.0": "x"}
    assert newest_versions(refs) == ["v0.11.0", "v0.10.0", "v0.9.0", "v0.8.0", "v0.7.0"]


def test_a_remote_commit_hash_is_left_to_the_clone() -> None:
    remote = "https://git.example.invalid/t.git"
    assert ref_exists(remote, "0123abc", {})
    assert not ref_exists(remote, "no-such-branch", {})


def test_unknown_ref_names_the_versions(tmp_path: Path) -> None:
    repo = make_template_repo(tmp_path / "t", tag="v1.0.0")
    git(repo, "commit", "-q", "--allow-empty", "-m", "two")
    git(repo, "tag", "v1.1.0")
    head = git(repo, "rev-parse", "HEAD").strip()
    assert "refs/tags/v1.1.0" in require_ref(str(repo), head[:10], "t")
    with pytest.raises(UsageError, match=r"unknown --vcs-ref 'v2'.*versions: v1\.1\.0, v1\.0\.0$"):
        require_ref(str(repo), "v2", "t")
