"""``python -m bench``: run the benchmarks and print the report."""

from bench.cli import main

raise SystemExit(main())
