"""Updates never lose an edit, and always say what they did (issue 16).

Each test builds throwaway template versions in a temporary folder, as test_update.py does.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from fastgen.changes import REMOVED_EDITED
from fastgen.generate import new_project
from fastgen.leftovers import FIND_MARKERS, FIND_REJ, find_leftovers
from fastgen.template_repo import DEFAULT_TEMPLATE_URL, LEGACY_TEMPLATE_URLS, expand_url
from fastgen.update import check_project, update_project
from tests.conftest import REPO_ROOT, git, make_template_repo
from tests.test_update import (
    NEW_MODULE,
    PKG,
    answers_of,
    change_template,
    commit_all,
    generated_project,
    invoke,
    make_conflict,
    tree,
    upgrade_fastgen,
)

USER_LINE = "local-scratch/\n"
CANONICAL = expand_url(DEFAULT_TEMPLATE_URL)


@pytest.fixture
def template_v1(tmp_path: Path) -> Path:
    return make_template_repo(tmp_path / "template", tag="v1")


@pytest.fixture
def project(tmp_path: Path, template_v1: Path) -> Path:
    return generated_project(tmp_path / PKG, template_v1)


@pytest.fixture(autouse=True)
def own_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fastgen's template-history cache and Copier's mirrors live in the test's folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("COPIER_CACHE_DIR", str(tmp_path / "copier-cache"))


def readme_section() -> str:
    """README.md's "Updating generated projects" section, plain-Copier part included."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"^## Updating generated projects$(.*?)(?=^## )", readme, re.S | re.M)
    assert found, "README.md has no '## Updating generated projects' section"
    return found.group(1)


def run_shell(command: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a README command line with bash, the test's venv first on PATH."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path, **env},
        check=False,
        timeout=300,
    )


def copier_update(project: Path, *extra: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Plain `copier update --defaults`, as the README says to run it."""
    return run_shell(" ".join(["copier update --defaults", *extra]), project, **env)


def edit_dockerignore(project: Path) -> None:
    with (project / ".dockerignore").open("a", encoding="utf-8") as stream:
        stream.write(USER_LINE)
    commit_all(project, "ignore our scratch folder in images")


def remove_from_template(template: Path, tag: str, *names: str) -> None:
    """Template version `tag` no longer has the files `names` (paths under template/)."""
    for name in names:
        (template / "template" / name).unlink()
    commit_all(template, f"template {tag}: remove {', '.join(names)}")
    git(template, "tag", tag)


# --- 1. a file the template deletes but the user edited is kept, as a conflict ----------------


def test_update_keeps_an_edited_file_the_template_removes(project: Path, template_v1: Path) -> None:
    edit_dockerignore(project)
    remove_from_template(template_v1, "v2", ".dockerignore", ".pre-commit-config.yaml")
    exit_code, stdout, stderr = invoke("update", project)
    assert exit_code == 1, stdout + stderr
    assert f"C .dockerignore  ({REMOVED_EDITED})" in stdout
    assert "D .pre-commit-config.yaml" in stdout  # never edited: deleted as usual
    assert "1 file(s) with conflicts: .dockerignore" in stderr
    assert (project / ".dockerignore").read_text(encoding="utf-8").endswith(USER_LINE)
    assert not (project / ".pre-commit-config.yaml").exists()
    assert answers_of(project)["_commit"] == "v2"


def test_rej_mode_keeps_the_removed_edited_file_without_a_rej_file(
    project: Path, template_v1: Path
) -> None:
    edit_dockerignore(project)
    remove_from_template(template_v1, "v2", ".dockerignore")
    result = update_project(project, conflict="rej")
    assert result.conflicts == [".dockerignore"]
    assert (project / ".dockerignore").read_text(encoding="utf-8").endswith(USER_LINE)
    # Copier wrote the edit as a patch against a file that no longer exists: not needed.
    assert not (project / ".dockerignore.rej").exists()


@pytest.mark.e2e
def test_plain_copier_removed_edited_file_found_and_restored_as_the_readme_says(
    project: Path, template_v1: Path
) -> None:
    edit_dockerignore(project)
    remove_from_template(template_v1, "v2", ".dockerignore", ".pre-commit-config.yaml")
    updated = copier_update(project)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert not (project / ".dockerignore").exists()  # Copier deletes it, edit and all

    section = readme_section()
    # Without fastgen: the README's command lists what the update deleted.
    assert "git ls-files --deleted" in section
    deleted = run_shell("git ls-files --deleted", project).stdout.split()
    assert deleted == [".dockerignore", ".pre-commit-config.yaml"]
    # With fastgen: check says which of them were edited, and how to get yours back.
    assert "fastgen check" in section
    assert "git restore --source=HEAD -- FILE" in section
    exit_code, stdout, _ = invoke("check", project)
    assert exit_code == 1
    restore = "git restore --source=HEAD -- .dockerignore"
    assert "Removed by the template, edited here: .dockerignore" in stdout
    assert restore in stdout
    assert ".pre-commit-config.yaml" not in stdout  # unedited: its deletion is right
    assert run_shell(restore, project).returncode == 0
    assert (project / ".dockerignore").read_text(encoding="utf-8").endswith(USER_LINE)
    assert invoke("check", project)[0] == 0


# --- 2. --conflict rej: said plainly, and the .rej files are named ----------------------------


def test_rej_conflicts_name_the_rej_file(project: Path, template_v1: Path) -> None:
    make_conflict(project, template_v1)
    exit_code, stdout, stderr = invoke("update", project, "--conflict", "rej")
    assert exit_code == 1
    assert "C README.md.rej" in stdout
    assert "M README.md  (the template's lines; yours are in README.md.rej)" in stdout
    assert "1 file(s) with conflicts: README.md.rej" in stderr
    assert ".rej file's lines by hand" in stderr
    section = readme_section()
    assert "--conflict rej" in section
    assert "the file gets the **template's** lines" in section
    assert "**your** lines go to `FILE.rej`" in section


# --- 3. leftover conflicts are caught ---------------------------------------------------------


def test_update_refuses_over_committed_markers_and_check_lists_them(
    project: Path, template_v1: Path
) -> None:
    make_conflict(project, template_v1)
    assert invoke("update", project)[0] == 1
    commit_all(project, "update, conflicts not resolved yet")
    change_template(template_v1, "v3")
    before = tree(project)
    exit_code, _, stderr = invoke("update", project)
    assert exit_code == 2
    assert "has unresolved conflicts from an earlier update: README.md;" in stderr
    assert tree(project) == before
    exit_code, stdout, _ = invoke("check", project)
    assert exit_code == 1
    assert "Update available: v2 -> v3" in stdout
    assert "Unresolved conflicts from an update: README.md;" in stdout


def test_update_refuses_over_rej_files(project: Path, template_v1: Path) -> None:
    make_conflict(project, template_v1)
    update_project(project, conflict="rej")
    git(project, "add", "README.md", ".copier-answers.yml")
    git(project, "commit", "-q", "-m", "update; README.md.rej still to apply")
    change_template(template_v1, "v3")
    exit_code, _, stderr = invoke("update", project)
    assert exit_code == 2
    assert "unresolved conflicts from an earlier update: README.md.rej;" in stderr
    assert check_project(project).leftovers == ["README.md.rej"]


@pytest.mark.e2e
def test_check_reports_markers_left_by_plain_copier(project: Path, template_v1: Path) -> None:
    make_conflict(project, template_v1)
    updated = copier_update(project)
    assert updated.returncode == 0  # Copier itself says nothing
    exit_code, stdout, _ = invoke("check", project)
    assert exit_code == 1
    assert "Unresolved conflicts from an update: README.md;" in stdout
    exit_code, stdout, _ = invoke("check", project, "--json")
    assert (exit_code, json.loads(stdout)["leftovers"]) == (1, ["README.md"])
    # The README's commands find the same leftovers without fastgen.
    section = readme_section()
    assert FIND_MARKERS in section
    assert FIND_REJ in section
    assert run_shell(FIND_MARKERS, project).stdout.startswith("./README.md:1:<<<<<<< ")
    assert section.count(FIND_MARKERS) == 1  # said once


# --- 4. the change list, --pretend, and the version already there ------------------------------


def make_v2_with_every_kind_of_change(project: Path, template: Path) -> None:
    """v2 adds a module, changes the README, removes two files (one of them edited here)."""
    edit_dockerignore(project)
    change_template(template, None)
    for name in (".dockerignore", ".pre-commit-config.yaml"):
        (template / "template" / name).unlink()
    commit_all(template, "template v2")
    git(template, "tag", "v2")


def test_change_list_shows_added_modified_deleted_and_conflicts(
    project: Path, template_v1: Path
) -> None:
    make_v2_with_every_kind_of_change(project, template_v1)
    result = update_project(project)
    kinds = {change.path: change.kind for change in result.changes}
    assert kinds == {
        f"{PKG}/template_v2.py": "A",
        ".copier-answers.yml": "M",
        "README.md": "M",
        ".pre-commit-config.yaml": "D",
        ".dockerignore": "C",
    }
    assert (project / PKG / "template_v2.py").read_text(encoding="utf-8") == NEW_MODULE


def test_pretend_lists_what_would_change_and_writes_nothing(
    project: Path, template_v1: Path
) -> None:
    make_v2_with_every_kind_of_change(project, template_v1)
    before, refs = tree(project), git(project, "for-each-ref")
    exit_code, stdout, _ = invoke("update", project, "--pretend")
    assert exit_code == 0
    assert "Would update" in stdout
    assert "from v1 to v2" in stdout
    for line in (
        f"A {PKG}/template_v2.py",
        "M README.md",
        "D .pre-commit-config.yaml",
        f"C .dockerignore  ({REMOVED_EDITED})",
    ):
        assert line in stdout
    assert tree(project) == before
    assert git(project, "for-each-ref") == refs
    assert git(project, "status", "--porcelain", "--ignored") == "!! .env\n"
    assert git(project, "worktree", "list").count("\n") == 1


def test_updating_to_the_version_already_there_says_so(project: Path, template_v1: Path) -> None:
    before = tree(project)
    git(template_v1, "tag", "-a", "-m", "release", "v1-annotated", "v1")
    for same in ("main", "v1-annotated"):  # other names for the project's commit
        exit_code, stdout, _ = invoke("update", project, "--vcs-ref", same)
        assert (exit_code, f"Already at v1: {project}" in stdout) == (0, True), stdout
    change_template(template_v1, "v2")
    exit_code, stdout, _ = invoke("update", project, "--vcs-ref", "v1")
    assert exit_code == 0
    assert f"Already at v1: {project} is at the version asked for" in stdout
    assert "changed" not in stdout
    assert tree(project) == before


# --- 5. check and update read the template from the same place, and say which ----------------


def default_project_with_newer_fastgen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Path]:
    """A default project at v0.1.0 (canonical source), and a fastgen that carries v0.2.0.

    Returns the project and the v0.1.0 template repository.
    """
    released = make_template_repo(tmp_path / "released", tag="v0.1.0")
    upgrade_fastgen(monkeypatch, released, released, "0.1.0")
    project = new_project(tmp_path / PKG, service="chat-dev").dest
    assert answers_of(project)["_src_path"] == DEFAULT_TEMPLATE_URL
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    newer = tmp_path / "newer"
    git(tmp_path, "clone", "-q", released, newer)
    change_template(newer, "v0.2.0")  # released in a later checkout; `released` stays behind
    upgrade_fastgen(monkeypatch, newer, newer, "0.2.0")
    return project, released


def test_check_and_update_honour_a_git_rewrite_rule_alike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, released = default_project_with_newer_fastgen(tmp_path, monkeypatch)
    mirror = tmp_path / "mirror"
    git(tmp_path, "clone", "-q", "--bare", released, mirror)  # an older mirror: v0.1.0 only
    config = tmp_path / "gitconfig"
    config.write_text(f'[url "{mirror}"]\n\tinsteadOf = {CANONICAL}\n', encoding="utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")

    exit_code, stdout, _ = invoke("check", project)
    assert exit_code == 0, stdout  # not "v0.2.0 available" from the history fastgen carries
    assert f"{mirror} ({DEFAULT_TEMPLATE_URL}, rewritten by your git config" in stdout
    exit_code, stdout, stderr = invoke("update", project)
    assert exit_code == 0, stdout + stderr
    assert "Already up to date" in stdout
    assert str(mirror) in stdout

    change_template(released, "v0.2.0")
    git(released, "push", "-q", str(mirror), "main", "v0.2.0")
    exit_code, stdout, _ = invoke("check", project)
    assert (exit_code, "v0.1.0 -> v0.2.0" in stdout) == (1, True)
    exit_code, stdout, stderr = invoke("update", project)
    assert exit_code == 0, stdout + stderr
    assert "from v0.1.0 to v0.2.0" in stdout
    assert str(mirror) in stdout
    assert answers_of(project)["_src_path"] == DEFAULT_TEMPLATE_URL


@pytest.mark.parametrize("legacy", LEGACY_TEMPLATE_URLS)
def test_a_project_recording_an_older_template_url_still_checks_and_updates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, legacy: str
) -> None:
    """Projects generated before the canonical URL existed name the template differently."""
    project, _ = default_project_with_newer_fastgen(tmp_path, monkeypatch)
    answers = project / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8")
    answers.write_text(text.replace(DEFAULT_TEMPLATE_URL, legacy), encoding="utf-8")
    commit_all(project, "generated by an older fastgen")
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")  # any network access fails the run

    exit_code, stdout, _ = invoke("check", project)
    assert (exit_code, "v0.1.0 -> v0.2.0" in stdout) == (1, True), stdout
    exit_code, stdout, stderr = invoke("update", project)
    assert exit_code == 0, stdout + stderr
    assert "from v0.1.0 to v0.2.0" in stdout
    assert "carried by fastgen, offline" in stdout


def test_a_prefix_rule_leaves_both_on_the_history_fastgen_carries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, _ = default_project_with_newer_fastgen(tmp_path, monkeypatch)
    config = tmp_path / "gitconfig"  # e.g. "all of GitHub over SSH": shorter than fastgen's
    config.write_text(f'[url "{tmp_path}/nowhere/"]\n\tinsteadOf = https://github.com/\n')
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_ALLOW_PROTOCOL", "file")
    shown = f"{DEFAULT_TEMPLATE_URL} (carried by fastgen, offline)"
    exit_code, stdout, _ = invoke("check", project)
    assert (exit_code, "v0.1.0 -> v0.2.0" in stdout, shown in stdout) == (1, True, True)
    result = update_project(project)
    assert (result.to_version, result.source) == ("v0.2.0", shown)


def test_src_overridden_by_a_rewrite_rule_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: Path, template_v1: Path
) -> None:
    fork = tmp_path / "fork"
    git(tmp_path, "clone", "-q", template_v1, fork)
    change_template(fork, "v2")
    config = tmp_path / "gitconfig"
    config.write_text(f'[url "{tmp_path}/elsewhere"]\n\tinsteadOf = {template_v1}\n', "utf-8")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    before = tree(project)
    exit_code, _, stderr = invoke("update", project, "--src", fork)
    assert exit_code == 2
    assert f"--src {fork} cannot take effect: your git config rewrites" in stderr
    assert tree(project) == before


# --- 6. plain Copier needs the network; the README's way around it works ----------------------


@pytest.mark.e2e
def test_plain_copier_offline_fails_and_the_readme_route_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project, released = default_project_with_newer_fastgen(tmp_path, monkeypatch)
    change_template(released, "v0.2.0")
    offline = {"GIT_ALLOW_PROTOCOL": "file", "GIT_CONFIG_GLOBAL": str(tmp_path / "none")}
    failed = copier_update(project, **offline)
    assert failed.returncode != 0  # the canonical URL cannot be reached
    assert answers_of(project)["_commit"] == "v0.1.0"

    section = readme_section()
    assert "`fastgen update` is the route that works offline" in section
    (line,) = [line for line in section.splitlines() if "GIT_CONFIG_KEY_0" in line]
    assert CANONICAL in line
    routed = run_shell(line.replace("/path/to/fastgen", str(released)), project, **offline)
    assert routed.returncode == 0, routed.stdout + routed.stderr
    assert answers_of(project)["_commit"] == "v0.2.0"
    assert answers_of(project)["_src_path"] == DEFAULT_TEMPLATE_URL
    assert (project / PKG / "template_v2.py").read_text(encoding="utf-8") == NEW_MODULE


def test_a_quoted_marker_is_no_conflict(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "notes.md").write_text("Find them with:\n<<<<<<< before updating\n", "utf-8")
    (tmp_path / "merged.py").write_text("<<<<<<< ours\nA = 1\n=======\nA = 2\n>>>>>>> x\n")
    (tmp_path / "ignored").mkdir()
    (tmp_path / ".gitignore").write_text("ignored/\n", "utf-8")
    (tmp_path / "ignored" / "old.rej").write_text("-x\n", "utf-8")
    assert find_leftovers(tmp_path) == ["ignored/old.rej", "merged.py"]


def test_a_project_in_a_subfolder_of_a_repository(tmp_path: Path, template_v1: Path) -> None:
    """Monorepos: the project's paths are reported relative to the project, in both modes."""
    repo = tmp_path / "monorepo"
    dest = new_project(repo / "services" / PKG, service="chat-dev", src=str(template_v1)).dest
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "generated")
    make_v2_with_every_kind_of_change(dest, template_v1)
    expected = {
        f"{PKG}/template_v2.py": "A",
        ".copier-answers.yml": "M",
        "README.md": "M",
        ".pre-commit-config.yaml": "D",
        ".dockerignore": "C",
    }
    before = tree(repo)
    pretended = update_project(dest, pretend=True)
    assert {change.path: change.kind for change in pretended.changes} == expected
    assert tree(repo) == before
    result = update_project(dest)
    assert {change.path: change.kind for change in result.changes} == expected
