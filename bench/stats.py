"""Pure helpers: percentiles, paired ratios, goal verdicts and markdown tables."""

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], q: float) -> float:
    """The `q`-th percentile (0-100) of `values`, interpolating linearly between ranks.

    The same definition as ``numpy.percentile``'s default ("linear").

    Raises:
        ValueError: `values` is empty or `q` is outside 0-100.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile q must be within 0-100, got {q}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float:
    """The median of `values` (the 50th percentile)."""
    return percentile(values, 50)


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Round-by-round ratios of two series measured side by side (zero denominators skipped)."""
    return [n / d for n, d in zip(numerators, denominators, strict=True) if d]


@dataclass(frozen=True)
class Spread:
    """The median of some per-round values, with their smallest and largest."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> "Spread":
        """Summarise `values` (at least one)."""
        return cls(median(values), min(values), max(values))

    def format(self, digits: int = 2, *, grouping: bool = False) -> str:
        """``0.93 (0.90-0.97)``, or just the value when every round gave the same.

        With `grouping`, thousands are separated: ``12,345 (11,002-13,870)``.
        """
        spec = f"{',' if grouping else ''}.{digits}f"
        value = format(self.median, spec)
        if format(self.low, spec) == format(self.high, spec):
            return value
        return f"{value} ({format(self.low, spec)}-{format(self.high, spec)})"


def verdict(measured: float, target: float, *, at_most: bool) -> str:
    """``PASS`` when `measured` meets `target` (``<=`` if `at_most`, else ``>=``), else ``MISS``."""
    met = measured <= target if at_most else measured >= target
    return "PASS" if met else "MISS"


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub markdown table; numeric columns (every cell a number) are right-aligned.

    Raises:
        ValueError: a row does not have one cell per header.
    """
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row {list(row)!r} has {len(row)} cells for {len(headers)} headers")
    numeric = [
        bool(rows) and all(isinstance(row[i], int | float) for row in rows)
        for i in range(len(headers))
    ]
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [
        max([len(header), 3, *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)
    ]

    def line(values: Sequence[str]) -> str:
        padded = (
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        )
        return "| " + " | ".join(padded) + " |"

    rule = "| " + " | ".join(
        "-" * (w - 1) + ":" if right else "-" * w for w, right in zip(widths, numeric, strict=True)
    )
    return "\n".join([line(headers), rule + " |", *(line(row) for row in cells)])


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value).replace("|", "\\|")
