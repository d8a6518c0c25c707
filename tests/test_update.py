"""Updating generated projects: fastgen update/check and plain copier update keep user edits."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import copier
import pytest
import yaml
from plumbum import local
from typer.testing import CliRunner

from fastgen import template_repo
from fastgen.cli import app
from fastgen.exit_codes import ExitCode
from fastgen.generate import new_project
from fastgen.template_repo import DEFAULT_TEMPLATE_URL, build_history
from fastgen.update import CONFLICT_MARKER, update_project, with_commit
from tests.conftest import (
    REPO_ROOT,
    build_wheel,
    git,
    installed_fastgen,
    make_template_repo,
    run,
    run_project_checks,
    wheel_venv,
    write_client_types,
)

runner = CliRunner()

PKG = "proj"
# A template change far from the README section the user edits, a new template module,
# and a changed .env (which the user owns: the update must not touch theirs).
README_ANCHOR = "## Run it\n"
README_ADDED = "Template v2 says: run the tests before every commit.\n"
NEW_MODULE = '"""Added by template v2."""\n\nTEMPLATE_MARK = "v2"\n'
USER_README = "Our team's notes: deploy with the blue-green script.\n"
USER_MODULE = '"""Our own module."""\n\nANSWER = 42\n'
USER_HANDLER = '''"""Our own message type: shout."""

from .base import Message, MsgHandler
from .factory import MsgHandlerFactory


class ShoutMessage(Message):
    text: str


@MsgHandlerFactory.register
class ShoutHandler(MsgHandler[ShoutMessage]):
    type = "shout"
    message_model = ShoutMessage

    async def handle(self, message: ShoutMessage) -> None:
        await self.ws.send_json({"type": "shout", "text": message.text.upper()})
'''


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def answers_of(project: Path) -> dict[str, object]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def change_template(template: Path, tag: str | None) -> None:
    """The v2 change of a template folder: README line, new module, new .env line."""
    readme = template / "template" / "README.md.jinja"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace(README_ANCHOR, README_ANCHOR + "\n" + README_ADDED), "utf-8")
    (template / "template" / "{{package_name}}" / "template_v2.py").write_text(NEW_MODULE, "utf-8")
    env = template / "template" / ".env.jinja"
    env.write_text(env.read_text(encoding="utf-8") + "# template v2\n", "utf-8")
    if tag:
        commit_all(template, "template v2")
        git(template, "tag", tag)


def make_user_edits(project: Path) -> None:
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\n" + USER_README, "utf-8")
    (project / PKG / "extras.py").write_text(USER_MODULE, "utf-8")
    (project / PKG / "handlers" / "shout.py").write_text(USER_HANDLER, "utf-8")
    write_client_types(project)  # the clients' types with shout's, kept by updates
    # .env is git-ignored: it is the user's even though it is never committed.
    (project / ".env").write_text("AUTH_TOKENS={}\n# mine\n", "utf-8")
    commit_all(project, "user edits")


def assert_updated_keeping_edits(project: Path, version: str) -> None:
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert README_ADDED in readme
    assert USER_README in readme
    assert (project / PKG / "template_v2.py").read_text(encoding="utf-8") == NEW_MODULE
    assert (project / PKG / "extras.py").read_text(encoding="utf-8") == USER_MODULE
    assert (project / PKG / "handlers" / "shout.py").read_text(encoding="utf-8") == USER_HANDLER
    assert "ShoutMessage" in (project / "clients/typescript/src/messages.ts").read_text("utf-8")
    assert (project / ".env").read_text(encoding="utf-8") == "AUTH_TOKENS={}\n# mine\n"
    assert answers_of(project)["_commit"] == version
    leftovers = [
        path
        for path in project.rglob("*")
        if path.is_file()
        and (path.suffix == ".rej" or CONFLICT_MARKER.encode() in path.read_bytes().splitlines())
    ]
    assert leftovers == []


def tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.parts
    }


@pytest.fixture
def template_v1(tmp_path: Path) -> Path:
    return make_template_repo(tmp_path / "template", tag="v1")


def generated_project(dest: Path, template: Path) -> Path:
    """A project generated from `template`'s newest tag, committed in its own git repository."""
    dest = new_project(dest, service="chat-dev", src=str(template)).dest
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, "generated")
    return dest


@pytest.fixture
def project(tmp_path: Path, template_v1: Path) -> Path:
    """A project generated at template v1, committed in its own git repository."""
    return generated_project(tmp_path / PKG, template_v1)


# --- the full round trip, via fastgen and via plain copier --------------------------------


@pytest.mark.e2e
@pytest.mark.full
def test_fastgen_update_keeps_user_edits(project: Path, template_v1: Path) -> None:
    make_user_edits(project)
    change_template(template_v1, "v2")
    exit_code, stdout, stderr = invoke("update", project)
    assert exit_code == 0, stdout + stderr
    assert "from v1 to v2" in stdout
    assert f"{PKG}/template_v2.py" in stdout
    assert_updated_keeping_edits(project, "v2")
    assert answers_of(project)["_src_path"] == str(template_v1)
    run_project_checks(project)


@pytest.mark.e2e
@pytest.mark.full
def test_plain_copier_copy_then_update_keeps_user_edits(tmp_path: Path, template_v1: Path) -> None:
    copier = [sys.executable, "-m", "copier"]
    defaults = ["--defaults", "-d", f"project_name={PKG}", "-d", "service_name=chat-dev"]
    run([*copier, "copy", *defaults, template_v1, PKG], tmp_path)
    project = tmp_path / PKG
    assert answers_of(project)["_commit"] == "v1"
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    make_user_edits(project)
    change_template(template_v1, "v2")
    run([*copier, "update", "--defaults"], project)  # no --trust: the template runs nothing
    assert_updated_keeping_edits(project, "v2")
    run_project_checks(project)


# --- conflicts ---------------------------------------------------------------------------


def make_conflict(project: Path, template: Path) -> None:
    """The user and template v2 both rewrite the README's first line."""
    first = (project / "README.md").read_text(encoding="utf-8").splitlines()[0]
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace(first, "# Ours"), "utf-8")
    commit_all(project, "our title")
    jinja = template / "template" / "README.md.jinja"
    text = jinja.read_text(encoding="utf-8")
    jinja.write_text(text.replace("# {{ project_name }}", "# {{ project_name }} (v2)", 1), "utf-8")
    commit_all(template, "template v2")
    git(template, "tag", "v2")


def test_conflicting_edit_is_reported_with_markers(project: Path, template_v1: Path) -> None:
    make_conflict(project, template_v1)
    exit_code, stdout, stderr = invoke("update", project)
    assert exit_code == 1
    assert "1 file(s) with conflicts: README.md" in stderr
    assert "C README.md" in stdout
    assert "<<<<<<< " in stderr  # how to find the markers
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert CONFLICT_MARKER in readme
    assert "# Ours" in readme
    assert answers_of(project)["_commit"] == "v2"


def test_conflicting_edit_as_rej_file(project: Path, template_v1: Path) -> None:
    make_conflict(project, template_v1)
    result = update_project(project, conflict="rej")
    assert result.conflicts == ["README.md.rej"]
    # The template's line is applied; the user's rejected hunk waits in the .rej file.
    assert "+# Ours" in (project / "README.md.rej").read_text(encoding="utf-8")


# --- --src, --vcs-ref, --pretend, --data ----------------------------------------------------


def test_src_reads_versions_from_a_fork_and_keeps_the_recorded_source(
    tmp_path: Path, project: Path, template_v1: Path
) -> None:
    fork = tmp_path / "fork"
    git(tmp_path, "clone", "-q", template_v1, fork)
    change_template(fork, "v2")
    assert invoke("check", project)[0] == 0  # the recorded source has no v2
    result = update_project(project, src=str(fork))
    assert (result.from_version, result.to_version) == ("v1", "v2")
    assert (project / PKG / "template_v2.py").is_file()
    assert answers_of(project)["_src_path"] == str(template_v1)


def test_vcs_ref_picks_a_version(project: Path, template_v1: Path) -> None:
    change_template(template_v1, "v2")
    (template_v1 / "template" / "{{package_name}}" / "template_v3.py").write_text(NEW_MODULE)
    commit_all(template_v1, "template v3")
    git(template_v1, "tag", "v3")
    result = update_project(project, vcs_ref="v2")
    assert result.to_version == "v2"
    assert not (project / PKG / "template_v3.py").exists()


def test_pretend_writes_nothing(project: Path, template_v1: Path) -> None:
    change_template(template_v1, "v2")
    before = tree(project)
    exit_code, stdout, _ = invoke("update", project, "--pretend")
    assert exit_code == 0
    assert "Would update" in stdout
    assert "v1 to v2" in stdout
    assert tree(project) == before


def test_data_changes_an_answer(project: Path, template_v1: Path) -> None:
    change_template(template_v1, "v2")
    update_project(project, data=["description=Now with shouting."])
    assert answers_of(project)["description"] == "Now with shouting."
    assert "Now with shouting." in (project / "README.md").read_text(encoding="utf-8")


def test_already_up_to_date(project: Path) -> None:
    before = tree(project)
    exit_code, stdout, _ = invoke("update", project)
    assert exit_code == 0
    assert "Already up to date" in stdout
    assert tree(project) == before


# --- refusals: one line, non-zero exit, nothing changed ------------------------------------


def assert_refused(args: list[str | Path], folder: Path, fragment: str) -> None:
    before = tree(folder)
    exit_code, _, stderr = invoke(*args)
    assert exit_code == ExitCode.BAD_INPUT
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error:")
    assert fragment in lines[0]
    assert tree(folder) == before


def test_refuses_a_folder_that_is_not_a_project(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "main.py").write_text("print('hi')\n")
    assert_refused(["update", folder], folder, "is not a generated project")
    assert_refused(["check", folder], folder, "is not a generated project")


def test_refuses_a_project_outside_git(tmp_path: Path, template_v1: Path) -> None:
    dest = new_project(tmp_path / "nogit", service="chat-dev", src=str(template_v1)).dest
    change_template(template_v1, "v2")
    assert_refused(["update", dest], dest, "is not a git repository")


def test_refuses_uncommitted_changes(project: Path, template_v1: Path) -> None:
    change_template(template_v1, "v2")
    (project / PKG / "wip.py").write_text("X = 1\n")
    assert_refused(["update", project], project, "has uncommitted changes")
    readme = project / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "wip\n")
    (project / PKG / "wip.py").unlink()
    assert_refused(["update", project], project, "has uncommitted changes")


def test_refuses_an_unknown_vcs_ref(project: Path, template_v1: Path) -> None:
    change_template(template_v1, "v2")
    assert_refused(["update", project, "--vcs-ref", "v9"], project, "unknown --vcs-ref 'v9'")


# --- check ---------------------------------------------------------------------------------


def test_check_exit_codes_and_json(project: Path, template_v1: Path) -> None:
    exit_code, stdout, _ = invoke("check", project)
    assert (exit_code, "Up to date" in stdout) == (0, True)
    change_template(template_v1, "v2")
    exit_code, stdout, _ = invoke("check", project)
    assert exit_code == 1
    assert "v1 -> v2" in stdout
    exit_code, stdout, _ = invoke("check", project, "--json")
    assert exit_code == 1
    assert json.loads(stdout) == {
        "project": str(project),
        "source": str(template_v1),
        "current": "v1",
        "latest": "v2",
        "update_available": True,
        "leftovers": [],
        "removed_edited": [],
    }
    assert invoke("update", project, "--check")[0] == 1
    assert invoke("update", project)[0] == 0
    exit_code, stdout, _ = invoke("check", project, "--json")
    assert (exit_code, json.loads(stdout)["update_available"]) == (0, False)


# --- the default source: canonical URL, offline, from fastgen's own template history -------


def test_default_new_records_the_canonical_source_and_version(tmp_path: Path) -> None:
    answers = new_project(tmp_path / "p", service="chat-dev").answers
    assert answers["_src_path"] == DEFAULT_TEMPLATE_URL
    assert str(tmp_path) not in json.dumps(answers)
    if git(REPO_ROOT, "status", "--porcelain", "--", "copier.yml", "template").strip():
        pytest.skip("this checkout's template has uncommitted edits: no commit to compare with")
    # What a plain `copier copy` of this checkout records.
    assert answers["_commit"] == git(REPO_ROOT, "describe", "--tags", "--always").strip()


def test_new_with_a_version_fastgen_does_not_carry(tmp_path: Path) -> None:
    assert_refused(
        ["new", tmp_path / "p", "-s", "chat-dev", "--vcs-ref", "v9.9.9"], tmp_path, "v9.9.9"
    )
    assert list(tmp_path.iterdir()) == []


def test_template_url_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FASTGEN_TEMPLATE_URL", "https://git.example.com/acme/ws-template.git")
    answers = new_project(tmp_path / "p", service="chat-dev").answers
    assert answers["_src_path"] == "https://git.example.com/acme/ws-template.git"


def test_history_without_a_source_tags_the_shipped_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An sdist's build has no history: its own version is the only one it can name."""
    monkeypatch.setattr(template_repo, "default_history_source", lambda: None)
    history = build_history(tmp_path / "h", version="1.2.3")
    assert history.name == "v1.2.3"
    assert git(history.repo, "tag", "--list").split() == ["v1.2.3"]
    assert git(history.repo, "show", "v1.2.3:copier.yml") == (REPO_ROOT / "copier.yml").read_text()


def test_history_ships_the_sources_head_and_commits_uncommitted_edits_on_it(
    tmp_path: Path,
) -> None:
    released = make_template_repo(tmp_path / "released", tag="v1.2.3")
    same = build_history(tmp_path / "same", history=released, version="1.2.3")
    assert (same.commit, same.name) == (git(released, "rev-parse", "HEAD").strip(), "v1.2.3")
    change_template(released, None)
    commit_all(released, "after the release")
    after = build_history(tmp_path / "after", template=released, history=released)
    assert after.commit == git(released, "rev-parse", "HEAD").strip()
    assert after.name == git(released, "describe", "--tags", "--always").strip()
    assert after.name.startswith("v1.2.3-1-g")
    edited = tmp_path / "edited"
    shutil.copytree(released, edited, ignore=shutil.ignore_patterns(".git"))
    (edited / "template" / "EDITED.md").write_text("not committed\n", encoding="utf-8")
    dirty = build_history(tmp_path / "dirty", template=edited, history=released)
    assert git(dirty.repo, "rev-parse", f"{dirty.commit}^").strip() == after.commit
    assert dirty.name.startswith("v1.2.3-2-g")
    assert git(dirty.repo, "tag", "--list").split() == ["v1.2.3"]  # no made-up release


def upgrade_fastgen(monkeypatch: pytest.MonkeyPatch, template: Path, history: Path, version: str):
    """Make fastgen ship `template` as `version`, with `history`'s older tags."""
    monkeypatch.setattr(template_repo, "bundled_template", lambda: template)
    monkeypatch.setattr(template_repo, "default_history_source", lambda: history)
    monkeypatch.setattr(template_repo, "__version__", version)


@pytest.mark.e2e
@pytest.mark.full
def test_default_project_updates_offline_when_fastgen_carries_the_new_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    released = make_template_repo(tmp_path / "released", tag="v0.1.0")
    upgrade_fastgen(monkeypatch, released, released, "0.1.0")
    project = new_project(tmp_path / PKG, service="chat-dev").dest
    assert answers_of(project)["_commit"] == "v0.1.0"
    git(project, "init", "-q", "-b", "main")
    commit_all(project, "generated")
    make_user_edits(project)

    # The newer fastgen ships a later, untagged commit of the same repository.
    change_template(released, None)
    commit_all(released, "after 0.1.0")
    newer = git(released, "describe", "--tags", "--always").strip()
    upgrade_fastgen(monkeypatch, released, released, "0.1.0")
    # git may only read local repositories: any network access would fail the update.
    with local.env(GIT_ALLOW_PROTOCOL="file"):
        exit_code, stdout, _ = invoke("check", project, "--json")
        assert (exit_code, json.loads(stdout)["latest"]) == (1, newer)
        exit_code, stdout, stderr = invoke("update", project)
    assert exit_code == 0, stdout + stderr
    assert f"from v0.1.0 to {newer}" in stdout
    assert_updated_keeping_edits(project, newer)
    assert answers_of(project)["_src_path"] == DEFAULT_TEMPLATE_URL
    run_project_checks(project)


def test_default_project_newer_than_fastgen_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: Path
) -> None:
    answers = project / ".copier-answers.yml"
    text = answers.read_text(encoding="utf-8").replace(
        f"_src_path: {project.parent / 'template'}", f"_src_path: {DEFAULT_TEMPLATE_URL}"
    )
    answers.write_text(text.replace("_commit: v1", "_commit: v7.0.0"), encoding="utf-8")
    commit_all(project, "pretend a newer fastgen made it")
    assert_refused(["update", project], project, "which this fastgen does not carry")


def fastgen_checkout(dest: Path, message: str) -> Path:
    """This repository's files as a fresh git repository with one commit, untagged."""
    shutil.copytree(
        REPO_ROOT,
        dest,
        ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".venv"
        ),
    )
    git(dest, "init", "-q", "-b", "main")
    commit_all(dest, message)
    return dest


@pytest.mark.e2e
@pytest.mark.full
def test_installed_wheel_updates_offline_without_src(tmp_path: Path) -> None:
    """Two releases built as wheels: the newer one updates a project made by the older one.

    The wheels carry the template's tagged history (hatch_build.py); the canonical URL is
    never reached (git may only read local repositories here).
    """
    source = fastgen_checkout(tmp_path / "fastgen-src", "release 0.1.0")
    git(source, "tag", "v0.1.0")
    init = source / "generator" / "fastgen" / "__init__.py"
    wheels = {}
    for version in ("0.1.0", "0.2.0"):
        if version == "0.2.0":
            change_template(source, None)
            init.write_text(init.read_text().replace('"0.1.0"', '"0.2.0"'))
            commit_all(source, "release 0.2.0")
            git(source, "tag", "v0.2.0")
        out = tmp_path / f"wheels-{version}"
        out.mkdir()
        wheels[version] = build_wheel(source, out)
    env_dir = wheel_venv(tmp_path)
    pip = [env_dir / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index"]

    def fastgen(*args: str) -> subprocess.CompletedProcess[str]:
        return installed_fastgen(env_dir, *args, cwd=tmp_path)

    run([*pip, wheels["0.1.0"]], tmp_path)
    made = fastgen("new", PKG, "--service", "chat-dev")
    assert made.returncode == 0, made.stdout + made.stderr
    project = tmp_path / PKG
    assert answers_of(project)["_commit"] == "v0.1.0"
    assert answers_of(project)["_src_path"] == DEFAULT_TEMPLATE_URL
    # `fastgen new` made the repository and its first commit: updatable from the start.
    assert git(project, "log", "--format=%s").strip() == "Generate chat-dev from fastgen v0.1.0"
    make_user_edits(project)

    run([*pip, "--force-reinstall", wheels["0.2.0"]], tmp_path)
    checked = fastgen("check", PKG)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    updated = fastgen("update", PKG)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert_updated_keeping_edits(project, "v0.2.0")
    run_project_checks(project)


@pytest.mark.e2e
@pytest.mark.full
def test_wheels_of_untagged_commits_record_copiers_commit_and_update_offline(
    tmp_path: Path,
) -> None:
    """Two wheels built from untagged commits of one repository, as from a fresh clone.

    The older wheel records what a plain `copier copy` of its commit records; the newer one
    sees that commit as older than its own and updates the project offline.
    """
    source = fastgen_checkout(tmp_path / "fastgen-src", "first, untagged")
    first = git(source, "describe", "--tags", "--always").strip()
    plain = tmp_path / "plain"
    copier.run_copy(str(source), plain, data={"service_name": "chat-dev"}, defaults=True)
    assert answers_of(plain)["_commit"] == first
    wheels = {}
    for name in ("first", "second"):
        if name == "second":
            change_template(source, None)
            commit_all(source, "second, untagged")
        out = tmp_path / f"wheels-{name}"
        out.mkdir()
        wheels[name] = build_wheel(source, out)
    second = git(source, "describe", "--tags", "--always").strip()
    assert git(source, "tag", "--list") == ""
    env_dir = wheel_venv(tmp_path)
    pip = [env_dir / "bin" / "python", "-m", "pip", "install", "-q", "--no-deps", "--no-index"]

    run([*pip, wheels["first"]], tmp_path)
    made = installed_fastgen(env_dir, "new", PKG, "--service", "chat-dev", cwd=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    project = tmp_path / PKG
    assert answers_of(project)["_commit"] == first
    make_user_edits(project)

    run([*pip, "--force-reinstall", wheels["second"]], tmp_path)
    checked = installed_fastgen(env_dir, "check", PKG, cwd=tmp_path)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert f"{first} -> {second}" in checked.stdout
    updated = installed_fastgen(env_dir, "update", PKG, cwd=tmp_path)
    assert updated.returncode == 0, updated.stdout + updated.stderr
    assert_updated_keeping_edits(project, second)


@pytest.mark.parametrize("name", ["3120681", "v0.2.0-3-gabc1234", "1e10", "abc1234"])
def test_a_renamed_commit_reads_back_as_the_same_string(name: str) -> None:
    text = "_commit: v0.1.0-1-g0000000\n_src_path: gh:fastgen-dev/fastgen\nauth: static\n"
    answers = yaml.safe_load(with_commit(text, name))
    assert answers == {"_commit": name, "_src_path": "gh:fastgen-dev/fastgen", "auth": "static"}
