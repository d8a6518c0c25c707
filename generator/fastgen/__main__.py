"""``python -m fastgen``: the same as the ``fastgen`` command."""

from fastgen.cli import main

main()
