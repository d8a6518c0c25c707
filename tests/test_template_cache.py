"""The template history is built once per content and reused by later runs."""

import shutil
from pathlib import Path

import pytest

from fastgen.template_repo import cache_root, history_key, shipped_history
from tests.conftest import COPIER_YML, REPO_ROOT, git, make_template_repo


def test_history_is_built_once_and_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with shipped_history() as first:
        pass
    with shipped_history() as second:
        assert second.repo == first.repo
        assert (second.commit, second.name) == (first.commit, first.name)
    assert (first.repo / ".git").is_dir()
    # One finished entry, no scratch folder left behind.
    assert [p.name for p in cache_root().iterdir()] == [first.repo.parent.name]


def test_key_follows_the_template_content_and_version(tmp_path: Path) -> None:
    template = tmp_path / "t"
    template.mkdir()
    shutil.copy2(COPIER_YML, template / COPIER_YML.name)
    shutil.copytree(REPO_ROOT / "template", template / "template")
    key = history_key(template, None, "0.1.0")
    assert history_key(template, None, "0.1.0") == key
    assert history_key(template, None, "0.2.0") != key
    readme = template / "template" / "README.md.jinja"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nmore\n", encoding="utf-8")
    assert history_key(template, None, "0.1.0") != key


def test_unwritable_cache_builds_a_throwaway_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    with shipped_history() as history:
        assert history.repo.is_dir()
        assert history.name
    assert not history.repo.exists()


def test_key_follows_the_sources_head(tmp_path: Path) -> None:
    """A new commit in a checkout is a new shipped commit: the cached history is not reused."""
    repo = make_template_repo(tmp_path / "t")
    key = history_key(repo, repo, "0.1.0")
    git(repo, "commit", "-q", "--allow-empty", "-m", "later")
    assert history_key(repo, repo, "0.1.0") != key
