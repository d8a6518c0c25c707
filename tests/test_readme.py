"""The README's Quick start is a contract: CI runs its two command blocks exactly as written."""

import re

from tests.conftest import REPO_ROOT


def quick_start_blocks() -> list[list[str]]:
    """The command lines of each fenced block in the README's ``## Quick start`` section."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## Quick start$(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```bash\n(.*?)^```", section.group(1), re.S | re.M)
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def test_quick_start_has_an_install_and_a_test_block() -> None:
    blocks = quick_start_blocks()
    assert len(blocks) == 2
    install, test = blocks
    assert any(line.startswith("python3 -m venv ") for line in install)
    assert any("fastgen new " in line for line in install)
    assert test[-1].endswith("python -m pytest")


def test_ci_runs_the_quick_start_exactly_as_written_and_in_order() -> None:
    ci_script = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_lines = [line.strip() for line in ci_script.splitlines()]
    position = -1
    for line in (line for block in quick_start_blocks() for line in block):
        assert line in ci_lines[position + 1 :], f".ci/run lacks (or reorders) {line!r}"
        position = ci_lines.index(line, position + 1)
