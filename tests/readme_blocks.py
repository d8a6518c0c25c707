"""Command blocks of a README section: what CI runs and the tests copy, never retyped.

``python3 tests/readme_blocks.py README.md "Quick start" 1`` prints the first ```bash block
under ``## Quick start`` (standard library only: CI runs it before any venv exists).
"""

import re
import sys
from pathlib import Path


def section_blocks(readme: str, heading: str) -> list[list[str]]:
    """The non-empty lines of each ```bash block in the ``## <heading>`` section of `readme`."""
    found = re.search(rf"^## {re.escape(heading)}$(.*?)(?=^## |\Z)", readme, re.S | re.M)
    if found is None:
        raise LookupError(f"no '## {heading}' section")
    blocks = re.findall(r"^```bash\n(.*?)^```", found.group(1), re.S | re.M)
    return [[line for line in block.splitlines() if line.strip()] for block in blocks]


def main(argv: list[str]) -> int:
    """Print block N (1-based) of a section: ``README HEADING N``."""
    path, heading, number = argv
    blocks = section_blocks(Path(path).read_text(encoding="utf-8"), heading)
    print("\n".join(blocks[int(number) - 1]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
