"""A server-made SVG chart for the totals page: committed and reported-so-far bars per row.

Inline <svg role="img"> named by its <title> and <desc>; the page shows the same numbers in a
table, which is what screen-reader users read. The two bars differ in fill (solid, outline)
as well as colour; both colours reach 3:1 against white (WCAG 1.4.11)."""

from __future__ import annotations

from markupsafe import Markup, escape

COMMITTED = "#1a4480"  # USWDS blue-60v
SO_FAR = "#8b0a03"  # USWDS red-70v
TEXT = "#1b1b1b"


def paired_bars(
    chart_id: str, title: str, description: str, rows: list[tuple[str, int, int]], width: int = 640
) -> Markup:
    """rows: (label, committed, so far). Each row: a solid bar (committed) above an outlined
    bar (so far), with the numbers written after each bar."""
    label_w, value_w, bar_h, gap, top = 190, 110, 14, 14, 34
    plot = width - label_w - value_w
    height = top + max(len(rows), 1) * (2 * bar_h + gap) + 6
    peak = max([max(c, s) for _, c, s in rows] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cop-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" focusable="false" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<rect x="{label_w}" y="6" width="12" height="12" fill="{COMMITTED}"/>',
        f'<text x="{label_w + 18}" y="16" font-size="13" fill="{TEXT}">Committed</text>',
        f'<rect x="{label_w + 110}" y="7" width="11" height="11" fill="#fff" '
        f'stroke="{SO_FAR}" stroke-width="2"/>',
        f'<text x="{label_w + 128}" y="16" font-size="13" fill="{TEXT}">Reported so far</text>',
    ]
    for i, (label, committed, so_far) in enumerate(rows):
        y = top + i * (2 * bar_h + gap)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + bar_h + 4}" text-anchor="end" '
            f'font-size="13" fill="{TEXT}">{escape(label)}</text>'
        )
        for j, (value, solid) in enumerate(((committed, True), (so_far, False))):
            bar = 0 if value <= 0 else max(2, round(plot * value / peak))
            by = y + j * bar_h
            style = (
                f'fill="{COMMITTED}"'
                if solid
                else f'fill="#fff" stroke="{SO_FAR}" stroke-width="2"'
            )
            parts.append(
                f'<rect x="{label_w}" y="{by + 1}" width="{bar}" height="{bar_h - 2}" {style}/>'
            )
            parts.append(
                f'<text x="{label_w + bar + 6}" y="{by + bar_h - 2}" font-size="12" '
                f'fill="{TEXT}">{value:,}</text>'
            )
    parts.append("</svg>")
    svg = "".join(parts)
    return Markup(svg)  # noqa: S704 - every text node above is escaped  # nosec B704
