"""The README's Quick start is a contract: CI runs its two command blocks exactly as written."""

import re
import subprocess
import sys

from tests.conftest import REPO_ROOT
from tests.readme_blocks import section_blocks

CANONICAL_HTTPS = "https://github.com/fastgen-dev/fastgen"
README_LIMIT = 250  # lines: the first screen is install, generate, test; the rest is in docs/


def quick_start_blocks() -> list[list[str]]:
    """The command lines of each fenced block in the README's ``## Quick start`` section."""
    return section_blocks((REPO_ROOT / "README.md").read_text(encoding="utf-8"), "Quick start")


def test_quick_start_installs_from_the_source_url_then_a_contributor_loop() -> None:
    blocks = quick_start_blocks()
    assert len(blocks) == 2
    install, contribute = blocks
    assert install[0].startswith("python3 -m venv ")
    assert any(f"git+{CANONICAL_HTTPS}" in line for line in install)
    assert any(line.startswith("fastgen new ") for line in install)
    # Block 1 needs no clone: nothing in it installs from a local folder.
    assert not any(re.search(r"install .*(\s\.|-e)\b", line) for line in install)
    assert contribute[0] == f"git clone {CANONICAL_HTTPS}"
    assert contribute[-1] == "python -m pytest"
    # `a && b` hides a failing `a` from `set -e`: one command per line.
    assert not any("&&" in line for block in blocks for line in block)


def test_ci_extracts_and_runs_both_blocks() -> None:
    ci_script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for number in (1, 2):
        assert f'quick_start {number})"' in ci_script
    printed = subprocess.run(
        [sys.executable, "-m", "tests.readme_blocks", "README.md", "Quick start", "2"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert printed.splitlines() == quick_start_blocks()[1]


def test_readme_stays_short_and_links_the_moved_sections() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_LIMIT
    for moved in (
        "docs/performance.md",
        "docs/testing.md",
        "docs/clients.md",
        "docs/commands.md",
        "docs/releasing.md",
    ):
        assert f"]({moved})" in readme
        assert (REPO_ROOT / moved).is_file()
    assert "org/fastapi-ws-template" not in readme


def test_every_relative_link_of_the_readme_and_docs_names_a_file() -> None:
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    broken = [
        f"{page.name}: {target}"
        for page in pages
        for target in re.findall(r"\]\(([^)\s#]+)[^)\s]*\)", page.read_text(encoding="utf-8"))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target) and not (page.parent / target).exists()
    ]
    assert broken == []
