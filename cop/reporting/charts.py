"""Server-made SVG charts for the reporting dashboards.

Each chart is an inline <svg role="img"> named by its <title> and <desc> (aria-labelledby);
the page always shows the same numbers in a table, which is what screen-reader users read.
Bars and target marks differ in shape (a solid column, a dashed line) as well as colour, and
both colours reach 3:1 against white (WCAG 1.4.11). Horizontal bar charts reuse the coaching
feature's `bar_chart`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from markupsafe import Markup, escape

from cop.coaching.analysis import bar_chart  # noqa: F401 - re-exported for the views

BAR_COLOR = "#1a4480"  # USWDS blue-60v, 8.9:1 on white
TARGET_COLOR = "#8b0a03"  # USWDS red-70v, 9.9:1 on white
TEXT_COLOR = "#1b1b1b"
GRID_COLOR = "#a9aeb1"

Number = Decimal | float | int | None


def _f(value: Number) -> float | None:
    return None if value is None else float(value)


def _ticks(peak: float) -> list[float]:
    """0, half and the top of a rounded scale above `peak`."""
    if peak <= 0:
        return [0.0, 1.0]
    magnitude = 10 ** (len(str(int(peak))) - 1)
    top = next(
        step * magnitude
        for step in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10)
        if step * magnitude >= peak
    )
    return [0.0, top / 2, top]


def column_chart(
    chart_id: str,
    title: str,
    description: str,
    points: Sequence[tuple[str, str, Number, Number]],
    fmt: Callable[[Number], str],
    *,
    value_label: str = "Figure",
    target_label: str = "Target",
    height: int = 220,
) -> Markup:
    """Columns per quarter with an optional dashed target mark on each.

    `points`: (short label, long label, value, target); the short label goes under the
    column (e.g. "Q3" with the year under each Q1), the long one in the column's tooltip."""
    left, right, top, bottom = 76, 10, 36, 48
    n = max(len(points), 1)
    # About 560 units wide whatever the number of quarters: the text stays legible when the
    # chart is drawn at half the page's width.
    column = max(20, min(40, 480 // n))
    width = left + n * column + right
    plot = height - top - bottom
    values = [_f(v) for _, _, v, _ in points] + [_f(t) for _, _, _, t in points]
    ticks = _ticks(max((v for v in values if v is not None), default=0.0))
    scale = plot / ticks[-1] if ticks[-1] else 0
    has_targets = any(t is not None for _, _, _, t in points)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cop-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" focusable="false" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        # Legend
        f'<rect x="{left}" y="6" width="14" height="14" fill="{BAR_COLOR}"/>',
        f'<text x="{left + 20}" y="18" font-size="15" fill="{TEXT_COLOR}">'
        f"{escape(value_label)}</text>",
    ]
    if has_targets:
        x = left + 20 + 9 * len(value_label) + 24
        parts.append(
            f'<line x1="{x}" y1="13" x2="{x + 22}" y2="13" stroke="{TARGET_COLOR}" '
            f'stroke-width="3" stroke-dasharray="5 3"/>'
        )
        parts.append(
            f'<text x="{x + 28}" y="18" font-size="15" fill="{TEXT_COLOR}">'
            f"{escape(target_label)}</text>"
        )
    for tick in ticks:
        y = top + plot - tick * scale
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" '
            f'stroke="{GRID_COLOR}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 5:.1f}" text-anchor="end" font-size="14" '
            f'fill="{TEXT_COLOR}">{escape(fmt(tick))}</text>'
        )
    previous_year = None
    for i, (short, long, value, target) in enumerate(points):
        x = left + i * column
        value, target = _f(value), _f(target)
        parts.append(
            f"<g><title>{escape(long)}: {escape(fmt(value))}"
            + (
                f", {escape(target_label.lower())} {escape(fmt(target))}"
                if target is not None
                else ""
            )
            + "</title>"
        )
        if value is not None and value > 0:
            bar = max(1.0, value * scale)
            parts.append(
                f'<rect x="{x + 4}" y="{top + plot - bar:.1f}" width="{column - 8}" '
                f'height="{bar:.1f}" fill="{BAR_COLOR}"/>'
            )
        if target is not None:
            y = top + plot - target * scale
            parts.append(
                f'<line x1="{x + 1}" y1="{y:.1f}" x2="{x + column - 1}" y2="{y:.1f}" '
                f'stroke="{TARGET_COLOR}" stroke-width="3" stroke-dasharray="5 3"/>'
            )
        parts.append("</g>")
        label, _, year = short.partition(" ")
        parts.append(
            f'<text x="{x + column / 2:.1f}" y="{height - bottom + 16}" '
            f'text-anchor="middle" font-size="14" fill="{TEXT_COLOR}">'
            f"{escape(label)}</text>"
        )
        if year and year != previous_year:
            parts.append(
                f'<text x="{x + 2}" y="{height - bottom + 34}" font-size="14" '
                f'fill="{TEXT_COLOR}">{escape(year)}</text>'
            )
            previous_year = year
    parts.append("</svg>")
    svg = "".join(parts)
    return Markup(svg)  # noqa: S704 - every text node above is escaped  # nosec B704
