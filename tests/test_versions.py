"""One version per template commit: fastgen names and orders commits exactly as Copier does."""

import json
from pathlib import Path

import copier
import pytest
from copier._template import Template
from packaging.version import Version

from fastgen.generate import new_project
from fastgen.revisions import revision
from fastgen.template_repo import DEFAULT_TEMPLATE_URL
from fastgen.versions import described_version
from tests.conftest import git, make_template_repo
from tests.test_update import (
    PKG,
    answers_of,
    assert_updated_keeping_edits,
    change_template,
    commit_all,
    generated_project,
    invoke,
    make_user_edits,
    upgrade_fastgen,
)


def describe(repo: Path) -> str:
    return git(repo, "describe", "--tags", "--always").strip()


def commit_empty(repo: Path, message: str) -> None:
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


@pytest.mark.parametrize(
    ("description", "commits", "expected"),
    [
        ("v0.2.0", None, "0.2.0"),
        ("v0.2.0-3-gabc1234", None, "0.2.0.post3.dev0+abc1234"),
        ("abc1234", 5, "0.0.0.post5.dev0+abc1234"),
        ("3036289", 2, "0.0.0.post2.dev0+3036289"),  # a hash that also reads as a version
        ("latest", None, None),  # a tag that is no version: Copier must answer
    ],
)
def test_described_version(description: str, commits: int | None, expected: str | None) -> None:
    version = described_version(description, commits)
    assert version == (Version(expected) if expected else None)


def test_commit_versions_are_copiers_own(tmp_path: Path) -> None:
    """Untagged, tagged, after a tag, after a non-version tag: the same as Copier's."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    refs = []
    for step in ("first", "second", "v0.3.0", "after", "nightly", "after-nightly"):
        commit_empty(repo, step)
        if step.startswith(("v", "nightly")):
            git(repo, "tag", step)
        refs.append(git(repo, "rev-parse", "--short", "HEAD").strip())
    for ref in refs:
        ours = revision(str(repo), ref)
        copiers = Template(url=str(repo), ref=ref)
        try:
            assert ours is not None
            assert (ours.name, ours.version) == (copiers.commit, copiers.version)
        finally:
            copiers._cleanup()
    versions = [found.version for ref in refs if (found := revision(str(repo), ref))]
    assert versions == sorted(versions)  # every later commit is a newer version


@pytest.mark.parametrize("where", ["untagged", "tagged", "after a tag"])
def test_copier_and_fastgen_record_the_same_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    repo = make_template_repo(tmp_path / "template", tag=None if where == "untagged" else "v0.1.0")
    if where == "after a tag":
        commit_empty(repo, "after the release")
    plain = tmp_path / "plain"
    # Without a ref Copier renders the newest tag; the commit fastgen ships is HEAD.
    copier.run_copy(
        str(repo), plain, data={"service_name": "chat-dev"}, defaults=True, vcs_ref="HEAD"
    )
    upgrade_fastgen(monkeypatch, repo, repo, "0.1.0")
    made = new_project(tmp_path / PKG, service="chat-dev")
    assert made.answers["_src_path"] == DEFAULT_TEMPLATE_URL
    assert made.answers["_commit"] == answers_of(plain)["_commit"] == describe(repo)


def test_untagged_commits_update_in_order(tmp_path: Path) -> None:
    template = make_template_repo(tmp_path / "template")  # no tag at all
    project = generated_project(tmp_path / PKG, template)
    first = describe(template)
    assert answers_of(project)["_commit"] == first
    make_user_edits(project)
    change_template(template, None)
    commit_all(template, "template v2, untagged")
    second = describe(template)

    exit_code, stdout, _ = invoke("check", project, "--json")
    assert exit_code == 1, stdout
    assert json.loads(stdout) | {"current": first, "latest": second, "update_available": True} == (
        json.loads(stdout)
    )
    exit_code, stdout, stderr = invoke("update", project)
    assert exit_code == 0, stdout + stderr
    assert f"from {first} to {second}" in stdout
    assert_updated_keeping_edits(project, second)
    commit_all(project, "updated")
    exit_code, stdout, _ = invoke("check", project)
    assert (exit_code, stdout.startswith("Up to date: ")) == (0, True), stdout


def test_plain_copier_updates_between_untagged_commits(tmp_path: Path) -> None:
    template = make_template_repo(tmp_path / "template")
    project = tmp_path / PKG
    copier.run_copy(str(template), project, data={"service_name": "chat-dev"}, defaults=True)
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    make_user_edits(project)
    change_template(template, None)
    commit_all(template, "template v2, untagged")
    copier.run_update(project, defaults=True, overwrite=True, unsafe=False)
    assert_updated_keeping_edits(project, describe(template))


def test_check_is_unknown_when_the_source_lacks_the_projects_commit(tmp_path: Path) -> None:
    project = generated_project(tmp_path / PKG, make_template_repo(tmp_path / "template"))
    other = make_template_repo(tmp_path / "other")  # another history: the commit is not there
    exit_code, stdout, _ = invoke("check", project, "--src", other)
    assert exit_code == 0, stdout
    assert stdout.startswith("Unknown: ")
    assert "Up to date" not in stdout
    exit_code, stdout, _ = invoke("check", project, "--src", other, "--json")
    assert (exit_code, json.loads(stdout)["update_available"]) == (0, None)


def at(monkeypatch: pytest.MonkeyPatch, date: str) -> None:
    """Date the next git commits (the legacy base is found by date)."""
    monkeypatch.setenv("GIT_AUTHOR_DATE", f"{date}T12:00:00Z")
    monkeypatch.setenv("GIT_COMMITTER_DATE", f"{date}T12:00:00Z")


def test_a_project_recording_a_made_up_release_tag_still_updates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Older fastgen recorded ``_commit: v0.1.0`` although the repository had no such tag."""
    at(monkeypatch, "2026-01-01")
    template = make_template_repo(tmp_path / "template")
    old = new_project(tmp_path / PKG, service="chat-dev", src=str(template)).dest
    answers = old / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8")
    text = text.replace(f"_commit: {describe(template)}", "_commit: v0.1.0")
    answers.write_text(text.replace(str(template), DEFAULT_TEMPLATE_URL), encoding="utf-8")
    at(monkeypatch, "2026-02-01")
    git(old, "init", "-q", "-b", "main")
    commit_all(old, "generated by an older fastgen")
    make_user_edits(old)
    at(monkeypatch, "2026-03-01")
    change_template(template, None)
    commit_all(template, "template v2, untagged")
    upgrade_fastgen(monkeypatch, template, template, "0.1.0")

    exit_code, stdout, _ = invoke("check", old)
    assert exit_code == 1, stdout
    exit_code, stdout, stderr = invoke("update", old)
    assert exit_code == 0, stdout + stderr
    # From now on the project records the commit as everyone else does.
    assert_updated_keeping_edits(old, describe(template))
