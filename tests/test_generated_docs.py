"""The generated README and docs/ describe what the template ships, in every combination.

These are properties of the template: a generated project's own tests cannot hold them,
since its user adds settings and rewrites the README, both theirs.
"""

import itertools
import re
from pathlib import Path

import pytest

from fastgen.generate import new_project
from tests.conftest import choices_of

COMBINATIONS = list(itertools.product(choices_of("auth"), choices_of("broadcast")))
# A field of `Settings` in the generated config.py: an upper-case name annotated at class level.
SETTING = re.compile(r"^    ([A-Z][A-Z0-9_]*): ", re.M)


@pytest.fixture(scope="module", params=COMBINATIONS, ids=["-".join(c) for c in COMBINATIONS])
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    auth, broadcast = request.param
    dest = tmp_path_factory.mktemp("docs") / "proj"
    return new_project(
        dest, service="chat-dev", data=[f"auth={auth}", f"broadcast={broadcast}"]
    ).dest


def test_every_setting_the_template_ships_is_described(project: Path) -> None:
    settings = set(SETTING.findall((project / "proj" / "config.py").read_text(encoding="utf-8")))
    assert {"HOST", "MAX_CONNECTIONS", "ROOMS_DEFAULT"} <= settings  # the pattern still finds them
    table = (project / "docs" / "configuration.md").read_text(encoding="utf-8")
    first_cells = "\n".join(line.split(" | ")[0] for line in table.splitlines() if line[:2] == "| ")
    assert settings - set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cells)) == set()


def test_the_readme_links_every_page_of_docs(project: Path) -> None:
    readme = (project / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(docs/([^)#\s]+)", readme))
    assert {path.name for path in (project / "docs").glob("*.md")} <= linked


def test_the_readme_stays_an_entry_point(project: Path) -> None:
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 300
    headings = re.findall(r"^## (.+)$", readme, re.M)
    first = ["Quick start", "Layout: your code and the engine", "Adding a message type"]
    assert headings[:3] == first
