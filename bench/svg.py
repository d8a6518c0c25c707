"""A horizontal bar chart as a standalone SVG file: the fan-out plot, with no plotting library.

matplotlib (the echo sweep's PNG) is a heavy optional install; this chart is a few dozen
rectangles and labels, so it is written as text.
"""

from collections.abc import Sequence
from html import escape
from pathlib import Path

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#7f7f7f")
LABEL_WIDTH = 300
BAR_WIDTH = 420
ROW = 18
HEADER = 26
MARGIN = 12


def bar_chart(
    title: str, groups: Sequence[tuple[str, Sequence[tuple[str, float]]]], unit: str
) -> str:
    """The SVG text: one block of bars per group, every bar on one scale.

    Bars of the same label share a colour across groups, so a reader can follow one
    server from block to block.

    Raises:
        ValueError: there is no bar, or a value is negative.
    """
    values = [value for _, bars in groups for _, value in bars]
    if not values:
        raise ValueError("a bar chart needs at least one bar")
    if min(values) < 0:
        raise ValueError("bar values must not be negative")
    scale = BAR_WIDTH / (max(values) or 1)
    colours: dict[str, str] = {}
    width = MARGIN * 2 + LABEL_WIDTH + BAR_WIDTH + 90
    y = MARGIN + HEADER
    parts = [f'<text x="{MARGIN}" y="{y - 8}" font-weight="bold">{escape(title)}</text>']
    for group, bars in groups:
        y += HEADER
        parts.append(f'<text x="{MARGIN}" y="{y - 8}" font-style="italic">{escape(group)}</text>')
        for label, value in bars:
            colour = colours.setdefault(label, PALETTE[len(colours) % len(PALETTE)])
            length = value * scale
            x = MARGIN + LABEL_WIDTH
            parts += [
                f'<text x="{x - 6}" y="{y + ROW - 6}" text-anchor="end">{escape(label)}</text>',
                f'<rect x="{x}" y="{y + 2}" width="{length:.1f}" height="{ROW - 4}" '
                f'fill="{colour}"/>',
                f'<text x="{x + length + 4:.1f}" y="{y + ROW - 6}">'
                f"{value:,.0f} {escape(unit)}</text>",
            ]
            y += ROW
    height = y + MARGIN
    return "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="sans-serif" font-size="12">',
            f'<rect width="{width}" height="{height}" fill="white"/>',
            *parts,
            "</svg>",
        ]
    )


def write_bar_chart(
    path: Path, title: str, groups: Sequence[tuple[str, Sequence[tuple[str, float]]]], unit: str
) -> None:
    """Write `bar_chart` to `path` (its folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(bar_chart(title, groups, unit) + "\n", encoding="utf-8")
