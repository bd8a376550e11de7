"""Quarterly analysis of the coaching logs, and the server-made SVG charts that show it.

A quarter is a calendar quarter (federal reporting). A session belongs to the quarter of its
start in the program's reporting time zone (COACHING_REPORTING_TZ, Eastern by default), so
every viewer, whatever their own zone, gets the same figures.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from flask import current_app
from markupsafe import Markup, escape

from cop.coaching.models import MODALITY_LABELS, ActionItem, CoachingSession, ItemStatus
from cop.coalitions.models import Coalition
from cop.core.timezones import DEFAULT_TZ, zone

QUARTER_RE = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)


def reporting_tz_name() -> str:
    return current_app.config.get("COACHING_REPORTING_TZ", DEFAULT_TZ)


def local_date(value: datetime, tz_name: str | None = None) -> date:
    return value.astimezone(zone(tz_name or reporting_tz_name())).date()


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def containing(cls, moment: datetime) -> Quarter:
        return cls.of(local_date(moment))

    @classmethod
    def parse(cls, text: str | None) -> Quarter | None:
        match = QUARTER_RE.match((text or "").strip())
        if not match:
            return None
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            return None
        return cls(year, int(match.group(2)))

    @property
    def key(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.next.first_day.toordinal() - 1)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC: midnight of the first days in the reporting zone."""
        tz = zone(reporting_tz_name())
        start = datetime.combine(self.first_day, time(0), tzinfo=tz).astimezone(UTC)
        end = datetime.combine(self.next.first_day, time(0), tzinfo=tz).astimezone(UTC)
        return start, end

    def contains(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        start, end = self.bounds()
        return start <= moment < end

    def recent(self, n: int) -> list[Quarter]:
        """This quarter and the n - 1 before it, oldest first."""
        quarters = [self]
        while len(quarters) < n:
            quarters.append(quarters[-1].previous)
        return list(reversed(quarters))


@dataclass
class Tally:
    sessions: int = 0
    minutes: int = 0

    @property
    def hours(self) -> float:
        return self.minutes / 60

    def add(self, session: CoachingSession) -> None:
        self.sessions += 1
        self.minutes += session.duration_minutes


@dataclass
class CoalitionFigures:
    coalition: Coalition
    total: Tally = field(default_factory=Tally)
    by_modality: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_topic: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    items_opened: int = 0
    items_done: int = 0
    items_dropped: int = 0
    last_contact: datetime | None = None

    @property
    def reached(self) -> bool:
        return self.total.sessions > 0


@dataclass
class Summary:
    quarter: Quarter
    coalitions: list[CoalitionFigures]
    total: Tally
    by_modality: list[tuple[str, Tally]]
    by_topic: list[tuple[str, Tally]]
    items_opened: int
    items_done: int
    items_dropped: int

    @property
    def not_reached(self) -> list[Coalition]:
        return [f.coalition for f in self.coalitions if not f.reached]

    @property
    def reached_count(self) -> int:
        return sum(1 for f in self.coalitions if f.reached)


def summarise(
    quarter: Quarter,
    coalitions: list[Coalition],
    sessions: list[CoachingSession],
    items: list[ActionItem],
    topic_labels: list[str],
) -> Summary:
    """Figures of the quarter from the logs given (already limited to the viewer's scope).

    A session with several topics counts once under each of them, so topic totals can exceed
    the quarter's total; modality totals add up to it."""
    figures = {c.id: CoalitionFigures(c) for c in coalitions}
    total = Tally()
    modality = {m.value: Tally() for m in MODALITY_LABELS}
    topics = {label: Tally() for label in topic_labels}
    for s in sessions:
        if not quarter.contains(s.started_at) or s.coalition_id not in figures:
            continue
        f = figures[s.coalition_id]
        for tally in (f.total, f.by_modality[s.modality], total, modality[s.modality]):
            tally.add(s)
        for topic in s.topics:
            f.by_topic[topic.label].add(s)
            topics.setdefault(topic.label, Tally()).add(s)
        if f.last_contact is None or s.started_at > f.last_contact:
            f.last_contact = s.started_at
    opened = done = dropped = 0
    for item in items:
        f = figures.get(item.coalition_id)
        if f is None:
            continue
        if quarter.contains(item.created_at):
            f.items_opened += 1
            opened += 1
        if item.status != ItemStatus.OPEN and quarter.contains(item.closed_at):
            if item.status == ItemStatus.DONE:
                f.items_done += 1
                done += 1
            else:
                f.items_dropped += 1
                dropped += 1
    return Summary(
        quarter=quarter,
        coalitions=sorted(figures.values(), key=lambda f: f.coalition.name),
        total=total,
        by_modality=[(MODALITY_LABELS[m], modality[m.value]) for m in MODALITY_LABELS],
        by_topic=list(topics.items()),
        items_opened=opened,
        items_done=done,
        items_dropped=dropped,
    )


def trend(quarters: list[Quarter], sessions: list[CoachingSession]) -> list[tuple[Quarter, Tally]]:
    tallies = {q: Tally() for q in quarters}
    for s in sessions:
        q = Quarter.containing(s.started_at)
        if q in tallies:
            tallies[q].add(s)
    return list(tallies.items())


def fmt_hours(value: float) -> str:
    """Hours with at most two decimals, no trailing zeros: 1.5, 0.75, 12."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


# ---------------------------------------------------------------- SVG charts

BAR_COLOR = "#1a4480"  # USWDS blue-60v: 8.9:1 on white, well over the 3:1 for graphics
TEXT_COLOR = "#1b1b1b"
GRID_COLOR = "#a9aeb1"


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: list[tuple[str, float]],
    unit: str,
    *,
    width: int = 640,
) -> Markup:
    """A horizontal bar chart as inline SVG, labelled for screen readers.

    role="img" with <title> and <desc> (referenced by aria-labelledby) names the chart;
    the page shows the same numbers in a table, which is what a screen reader user reads."""
    label_width, value_width, bar_height, gap, top = 230, 70, 22, 10, 10
    plot = width - label_width - value_width
    height = top * 2 + max(len(rows), 1) * (bar_height + gap)
    peak = max((v for _, v in rows), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cop-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" focusable="false" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        f'<line x1="{label_width}" y1="{top / 2}" x2="{label_width}" y2="{height - top / 2}" '
        f'stroke="{GRID_COLOR}" stroke-width="1"/>',
    ]
    for i, (label, value) in enumerate(rows):
        y = top + i * (bar_height + gap)
        bar = 0 if value <= 0 else max(2, round(plot * value / peak))
        shown = fmt_hours(value) if isinstance(value, float) else str(value)
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height * 0.7:.0f}" text-anchor="end" '
            f'font-size="14" fill="{TEXT_COLOR}">{escape(_short(label))}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{bar}" height="{bar_height}" '
            f'fill="{BAR_COLOR}"/>'
        )
        parts.append(
            f'<text x="{label_width + bar + 6}" y="{y + bar_height * 0.7:.0f}" font-size="14" '
            f'fill="{TEXT_COLOR}">{escape(shown)} {escape(unit)}</text>'
        )
    parts.append("</svg>")
    svg = "".join(parts)
    return Markup(svg)  # noqa: S704 - every text node above is escaped  # nosec B704


def _short(label: str, limit: int = 30) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


# ---------------------------------------------------------------- for pages, API and CSV


TREND_QUARTERS = 4


def summary_for(
    viewer, quarter: Quarter, coalition: Coalition | None = None
) -> tuple[Summary, list[tuple[Quarter, Tally]]]:
    """The quarter's summary in the viewer's scope, and the sessions of the last quarters."""
    from cop.coaching import queries

    coalitions = [coalition] if coalition is not None else queries.coalitions_for_logging(viewer)
    quarters = quarter.recent(TREND_QUARTERS)
    start, _ = quarters[0].bounds()
    q_start, q_end = quarter.bounds()
    sessions = queries.sessions_between(viewer, start, q_end, coalition)
    items = queries.items_touched_between(viewer, q_start, q_end, coalition)
    labels = [t.label for t in queries.all_topics() if t.active]
    return summarise(quarter, coalitions, sessions, items, labels), trend(quarters, sessions)


def charts(summary: Summary, quarters: list[tuple[Quarter, Tally]]) -> dict[str, Markup]:
    q = summary.quarter.label
    return {
        "modality": bar_chart(
            "chart-modality",
            f"Hours of coaching by modality, {q}",
            "Bar chart; the table below gives the same numbers.",
            [(label, t.hours) for label, t in summary.by_modality],
            "h",
        ),
        "topic": bar_chart(
            "chart-topic",
            f"Hours of coaching by topic, {q}",
            "Bar chart; a session with several topics counts under each. The table below "
            "gives the same numbers.",
            [(label, t.hours) for label, t in summary.by_topic],
            "h",
        ),
        "trend": bar_chart(
            "chart-trend",
            f"Sessions per quarter, last {len(quarters)} quarters",
            "Bar chart; the table below gives the same numbers.",
            [(qq.label, t.sessions) for qq, t in quarters],
            "sessions",
        ),
    }
