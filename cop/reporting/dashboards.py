"""Progress against target, and the dashboards built from it.

For a coalition, a measure and an "as of" quarter:

- the **value to date** of a count whose quarterly figures add up is the sum of its figures
  through that quarter; of a running total (a cumulative count), a rate or an amount of money
  it is the latest figure (and the quarter it is from);
- the **target to date** of a count that adds up is the share of its targets due by then: the
  yearly targets of the years gone by plus the elapsed part of this year's, or, without
  yearly targets, the grant target times the share of the grant's quarters elapsed; of a
  running total, the same share of the milestone; of a rate or money, this year's target
  level (else the grant's);
- the **percentage** is value / target to date; the **status** is "ahead" from
  REPORTING_AHEAD_PERCENT (110), "on track" from REPORTING_ON_TRACK_PERCENT (90), else
  "behind"; "no target" and "no figures" when one of them is missing.

Program-wide totals add coalitions' counts and average their rates and amounts.
Each dashboard loads what it needs in a handful of statements (see queries.py) and does the
arithmetic here, in Python, whatever the number of coalitions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app

from cop.accounts.models import User
from cop.coalitions.models import Coalition
from cop.core.models import utcnow
from cop.reporting import queries
from cop.reporting.models import Measure, MeasureKind, QuarterlyReport, ReportStatus
from cop.reporting.periods import GrantPeriod, Quarter, today
from cop.reporting.permissions import (
    can_view_coaching_summary,
    is_reporting_staff,
    staff_scope,
)

STATUS_LABELS = {
    "ahead": "Ahead",
    "on_track": "On track",
    "behind": "Behind",
    "no_target": "No target",
    "no_figures": "No figures",
}
# A shape as well as a colour (and the word beside it): colour is never the only cue.
STATUS_ICONS = {"ahead": "▲", "on_track": "●", "behind": "▼", "no_target": "○", "no_figures": "○"}
STATUS_ORDER = {"behind": 0, "on_track": 1, "ahead": 2, "no_target": 3, "no_figures": 4}
ZERO = Decimal(0)
HUNDRED = Decimal(100)


def _mean(values: list[Decimal]) -> Decimal | None:
    return sum(values, ZERO) / len(values) if values else None


# ---------------------------------------------------------------- formatting


def fmt_value(measure: Measure | str, value: Decimal | float | int | None) -> str:
    """For people: 1,234 (counts), 72.5% (rates), $9,500 (money); an en dash for nothing."""
    if value is None:
        return "–"
    kind = measure.kind if isinstance(measure, Measure) else measure
    value = Decimal(value)
    if kind == MeasureKind.RATE:
        text = f"{value.quantize(Decimal('0.1'), ROUND_HALF_UP):,}".rstrip("0").rstrip(".")
        return f"{text}%"
    if kind == MeasureKind.MONEY:
        return f"${value.quantize(Decimal('1'), ROUND_HALF_UP):,}"
    return f"{value.quantize(Decimal('1'), ROUND_HALF_UP):,}"


def fmt_pct(value: Decimal | None) -> str:
    return "–" if value is None else f"{value.quantize(Decimal('1'), ROUND_HALF_UP)}%"


def number(value: Decimal | None, places: str = "0.01") -> float | int | None:
    """For CSV and JSON: a plain number, rounded to cents (whole numbers stay whole)."""
    if value is None:
        return None
    value = Decimal(value).quantize(Decimal(places), ROUND_HALF_UP)
    return int(value) if value == value.to_integral_value() else float(value)


# ---------------------------------------------------------------- progress


@dataclass
class Progress:
    measure: Measure
    actual: Decimal | None
    target: Decimal | None  # to date
    grant_target: Decimal | None = None
    latest: Quarter | None = None  # the quarter of the latest figure counted
    reporting: int = 1  # coalitions counted (program totals)
    pct: Decimal | None = None
    status: str = "no_figures"

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def icon(self) -> str:
        return STATUS_ICONS[self.status]

    @property
    def sort_key(self) -> tuple:
        return (self.pct is None, self.pct if self.pct is not None else ZERO)


@dataclass
class TrendPoint:
    quarter: Quarter
    value: Decimal | None
    target: Decimal | None
    reporting: int = 0


class Calculator:
    """The arithmetic of docs/reporting.md for one grant period and one set of thresholds."""

    def __init__(self, period: GrantPeriod):
        cfg = current_app.config
        self.period = period
        self.on_track = Decimal(str(cfg.get("REPORTING_ON_TRACK_PERCENT", 90)))
        self.ahead = Decimal(str(cfg.get("REPORTING_AHEAD_PERCENT", 110)))
        self._quarters = period.quarters()
        self._index = {q: i for i, q in enumerate(self._quarters)}

    def elapsed(self, as_of: Quarter) -> int:
        """How many of the grant's quarters are done by the end of `as_of`."""
        if as_of < self.period.first:
            return 0
        return self._index[self.period.clamp(as_of)] + 1

    def target_to_date(
        self, measure: Measure, targets: dict[int, Decimal], as_of: Quarter
    ) -> Decimal | None:
        n = self.elapsed(as_of)
        if n == 0 or not targets:
            return None
        length = len(self._quarters)
        year = (n - 1) // 4 + 1
        in_year = n - (year - 1) * 4  # quarters of this grant year done
        year_size = min(4, length - (year - 1) * 4)
        grant = targets.get(0)
        if measure.kind != MeasureKind.COUNT:
            return targets.get(year, grant)
        if measure.sums:
            if all(y in targets for y in range(1, year + 1)):
                done = sum((targets[y] for y in range(1, year)), ZERO)
                return done + targets[year] * in_year / year_size
            return grant * n / length if grant is not None else None
        # A running total: the share of the way to this year's milestone, or to the grant's.
        if year in targets:
            if year == 1:
                before = ZERO
            elif year - 1 in targets:
                before = targets[year - 1]
            else:
                before = grant * (n - in_year) / length if grant is not None else ZERO
            return before + (targets[year] - before) * in_year / year_size
        return grant * n / length if grant is not None else None

    def quarter_target(
        self, measure: Measure, targets: dict[int, Decimal], quarter: Quarter
    ) -> Decimal | None:
        """The target a single quarter's figure is held against (for quarter-by-quarter
        tables and charts): the quarter's share for counts that add up, the level otherwise."""
        now = self.target_to_date(measure, targets, quarter)
        if now is None or not measure.sums:
            return now
        before = self.target_to_date(measure, targets, quarter.previous)
        return now - (before or ZERO)

    def actual_to_date(
        self, measure: Measure, figures: dict[Quarter, Decimal], as_of: Quarter
    ) -> tuple[Decimal | None, Quarter | None]:
        counted = [(q, v) for q, v in figures.items() if q <= as_of]
        if not counted:
            return None, None
        latest = max(q for q, _ in counted)
        if measure.sums:
            return sum((v for _, v in counted), ZERO), latest
        return dict(counted)[latest], latest

    def rate(self, progress: Progress) -> Progress:
        if progress.actual is None:
            progress.status = "no_figures"
        elif progress.target is None or progress.target <= 0:
            progress.status = "no_target"
        else:
            progress.pct = (progress.actual / progress.target * HUNDRED).quantize(Decimal("0.1"))
            progress.status = (
                "ahead"
                if progress.pct >= self.ahead
                else "on_track"
                if progress.pct >= self.on_track
                else "behind"
            )
        return progress

    def progress(
        self,
        measure: Measure,
        figures: dict[Quarter, Decimal],
        targets: dict[int, Decimal],
        as_of: Quarter,
    ) -> Progress:
        actual, latest = self.actual_to_date(measure, figures, as_of)
        return self.rate(
            Progress(
                measure,
                actual,
                self.target_to_date(measure, targets, as_of),
                targets.get(0),
                latest,
            )
        )

    def combine(self, measure: Measure, parts: list[Progress]) -> Progress:
        """Program-wide: counts add up; rates and money are averaged over the coalitions."""
        actuals = [p.actual for p in parts if p.actual is not None]
        targets = [p.target for p in parts if p.target is not None]
        grants = [p.grant_target for p in parts if p.grant_target is not None]
        if measure.kind == MeasureKind.COUNT:
            actual = sum(actuals, ZERO) if actuals else None
            target = sum(targets, ZERO) if targets else None
            grant = sum(grants, ZERO) if grants else None
        else:
            actual, target, grant = _mean(actuals), _mean(targets), _mean(grants)
        latest = max((p.latest for p in parts if p.latest is not None), default=None)
        return self.rate(Progress(measure, actual, target, grant, latest, len(actuals)))

    def trend(
        self,
        measure: Measure,
        series: list[tuple[dict[Quarter, Decimal], dict[int, Decimal]]],
        quarters: list[Quarter],
    ) -> list[TrendPoint]:
        """Per quarter, over the coalitions in `series` ((figures, targets) pairs): the sum
        (counts; a running total carries each coalition's latest figure forward) or the mean
        (rates, money) of the figures, and of the quarter targets."""
        points = []
        for q in quarters:
            values, goals = [], []
            for figures, targets in series:
                if measure.cumulative:
                    value, _ = self.actual_to_date(measure, figures, q)
                else:
                    value = figures.get(q)
                if value is not None:
                    values.append(value)
                goal = self.quarter_target(measure, targets, q)
                if goal is not None:
                    goals.append(goal)
            if measure.kind == MeasureKind.COUNT:
                value = sum(values, ZERO) if values else None
                goal = sum(goals, ZERO) if goals else None
            else:
                value, goal = _mean(values), _mean(goals)
            points.append(TrendPoint(q, value, goal, len(values)))
        return points


# ---------------------------------------------------------------- report rows


@dataclass
class ReportRow:
    quarter: Quarter
    report: QuarterlyReport | None
    due_on: date
    overdue: bool
    ongoing: bool  # the quarter has not ended

    @property
    def state(self) -> str:
        return self.report.status if self.report is not None else "missing"

    @property
    def state_label(self) -> str:
        if self.report is not None:
            return self.report.status_label
        return "Not started"

    @property
    def handed_in(self) -> bool:
        return self.report is not None and self.report.handed_in


def report_row(
    period: GrantPeriod, quarter: Quarter, report: QuarterlyReport | None, day: date
) -> ReportRow:
    due = period.due_on(quarter)
    handed_in = report is not None and report.handed_in
    return ReportRow(
        quarter, report, due, overdue=not handed_in and day > due, ongoing=quarter.last_day >= day
    )


# ---------------------------------------------------------------- the program


@dataclass
class CoalitionRow:
    coalition: Coalition
    cells: dict[int, Progress]
    report: ReportRow | None = None

    def behind(self, measures: list[Measure]) -> list[Measure]:
        return [m for m in measures if self.cells[m.id].status == "behind"]


@dataclass
class ProgramDashboard:
    period: GrantPeriod
    as_of: Quarter
    measures: list[Measure]
    totals: list[Progress]
    trends: dict[int, list[TrendPoint]]
    rows: list[CoalitionRow]
    coalition_count: int
    gaps: dict[int, list[Coalition]] = field(default_factory=dict)
    coaching_quarter: Quarter | None = None
    report_counts: dict[str, int] = field(default_factory=dict)
    sort: str = "coalition"
    direction: str = "asc"
    staff: bool = False  # the viewer sees coalitions' rows (coaches: theirs; admins: all)

    @property
    def quarters(self) -> list[Quarter]:
        return self.period.through(self.as_of)


def _series(coalitions: list[Coalition], measures: list[Measure], figures, targets):
    return {
        m.id: [(figures.get((c.id, m.id), {}), targets.get((c.id, m.id), {})) for c in coalitions]
        for m in measures
    }


def sort_rows(
    rows: list[CoalitionRow], measures: list[Measure], sort: str, direction: str
) -> tuple[list[CoalitionRow], str, str]:
    """By coalition name, or by a measure's percentage (missing ones last either way)."""
    direction = "desc" if direction == "desc" else "asc"
    by_slug = {m.slug: m for m in measures}
    if sort in by_slug:
        mid = by_slug[sort].id
        present = [r for r in rows if r.cells[mid].pct is not None]
        missing = [r for r in rows if r.cells[mid].pct is None]
        present.sort(
            key=lambda r: (r.cells[mid].pct, r.coalition.name), reverse=direction == "desc"
        )
        return present + missing, sort, direction
    rows = sorted(rows, key=lambda r: r.coalition.name.lower(), reverse=direction == "desc")
    return rows, "coalition", direction


def program(
    viewer: User,
    as_of: Quarter,
    *,
    sort: str = "coalition",
    direction: str = "asc",
    now: datetime | None = None,
) -> ProgramDashboard:
    """Program-wide totals and trends (everyone who uses reporting), the coalitions' table and
    the coaching gaps (staff: their coalitions; admins: all)."""
    period = GrantPeriod.current()
    calc = Calculator(period)
    measures = queries.measures()
    everyone = queries.coalitions()
    figures, targets = queries.figures(None, as_of), queries.targets(None)
    cells = {
        (c.id, m.id): calc.progress(
            m, figures.get((c.id, m.id), {}), targets.get((c.id, m.id), {}), as_of
        )
        for c in everyone
        for m in measures
    }
    totals = [calc.combine(m, [cells[(c.id, m.id)] for c in everyone]) for m in measures]
    quarters = period.through(as_of)
    series = _series(everyone, measures, figures, targets)
    trends = {m.id: calc.trend(m, series[m.id], quarters) for m in measures}
    board = ProgramDashboard(period, as_of, measures, totals, trends, [], len(everyone))
    if not is_reporting_staff(viewer):
        return board
    board.staff = True
    scope = staff_scope(viewer)
    mine = [c for c in everyone if scope is None or c.id in scope]
    reports = {r.coalition_id: r for r in queries.reports(scope, quarter=as_of)}
    day = today(now)
    rows = [
        CoalitionRow(
            c,
            {m.id: cells[(c.id, m.id)] for m in measures},
            report_row(period, as_of, reports.get(c.id), day),
        )
        for c in mine
    ]
    board.rows, board.sort, board.direction = sort_rows(rows, measures, sort, direction)
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row.report.state] += 1
    board.report_counts = dict(counts)
    board.coaching_quarter, board.gaps = coaching_gaps(scope, rows, measures, now)
    return board


def coaching_gaps(
    scope: frozenset[int] | None,
    rows: list[CoalitionRow],
    measures: list[Measure],
    now: datetime | None = None,
) -> tuple[Quarter, dict[int, list[Coalition]]]:
    """Per measure: the coalitions behind on it that had no coaching session tagged with it
    in the current calendar quarter (one statement)."""
    quarter = Quarter.of(today(now))
    start, end = quarter.bounds()
    tagged = queries.tagged_pairs(scope, start, end)
    return quarter, {
        m.id: [
            r.coalition
            for r in rows
            if r.cells[m.id].status == "behind" and (r.coalition.id, m.id) not in tagged
        ]
        for m in measures
    }


# ---------------------------------------------------------------- one measure


@dataclass
class MeasureDashboard:
    period: GrantPeriod
    as_of: Quarter
    measure: Measure
    total: Progress
    trend: list[TrendPoint]
    rows: list[tuple[Coalition, Progress, dict[Quarter, Decimal]]]
    gaps: list[Coalition]
    coaching_quarter: Quarter | None
    staff: bool = False


def measure_board(
    viewer: User, measure: Measure, as_of: Quarter, now: datetime | None = None
) -> MeasureDashboard:
    period = GrantPeriod.current()
    calc = Calculator(period)
    everyone = queries.coalitions()
    figures, targets = queries.figures(None, as_of), queries.targets(None)
    key = measure.id
    cells = {
        c.id: calc.progress(
            measure, figures.get((c.id, key), {}), targets.get((c.id, key), {}), as_of
        )
        for c in everyone
    }
    total = calc.combine(measure, list(cells.values()))
    trend = calc.trend(
        measure,
        [(figures.get((c.id, key), {}), targets.get((c.id, key), {})) for c in everyone],
        period.through(as_of),
    )
    rows, gaps, quarter = [], [], None
    if is_reporting_staff(viewer):
        scope = staff_scope(viewer)
        mine = [c for c in everyone if scope is None or c.id in scope]
        rows = [(c, cells[c.id], figures.get((c.id, key), {})) for c in mine]
        quarter, by_measure = coaching_gaps(
            scope, [CoalitionRow(c, {key: cells[c.id]}) for c in mine], [measure], now
        )
        gaps = by_measure[key]
    return MeasureDashboard(
        period, as_of, measure, total, trend, rows, gaps, quarter, is_reporting_staff(viewer)
    )


# ---------------------------------------------------------------- one coalition


@dataclass
class CoachingQuarter:
    quarter: Quarter
    sessions: int = 0
    minutes: int = 0
    by_topic: dict[str, list[int]] = field(default_factory=dict)  # label -> [sessions, minutes]
    by_measure: dict[int, int] = field(default_factory=dict)  # measure id -> sessions

    @property
    def hours(self) -> float:
        return self.minutes / 60


@dataclass
class Peer:
    coalition: Coalition
    progress: Progress
    leads: list[User]


@dataclass
class CoalitionDashboard:
    period: GrantPeriod
    coalition: Coalition
    as_of: Quarter
    measures: list[Measure]
    progress: list[Progress]
    quarters: list[Quarter]
    cells: dict[tuple[int, Quarter], tuple[Decimal | None, Decimal | None]]
    reports: list[ReportRow]
    chosen: Measure | None
    trend: list[TrendPoint]
    coaching: list[CoachingQuarter] | None
    topics: list[str]
    peers: dict[int, list[Peer]]

    @property
    def behind(self) -> list[Progress]:
        return [p for p in self.progress if p.status == "behind"]

    @property
    def missing(self) -> list[ReportRow]:
        return [r for r in self.reports if r.overdue]


def coalition_board(
    viewer: User,
    coalition: Coalition,
    as_of: Quarter,
    *,
    measure_slug: str = "",
    now: datetime | None = None,
    with_peers: bool = True,
) -> CoalitionDashboard:
    period = GrantPeriod.current()
    calc = Calculator(period)
    measures = queries.measures()
    cid = coalition.id
    # Peers need every coalition's figures; without them, this coalition's are enough.
    scope = None if with_peers else frozenset({cid})
    everyone = queries.coalitions() if with_peers else [coalition]
    figures, targets = queries.figures(scope, as_of), queries.targets(scope)
    progress = [
        calc.progress(m, figures.get((cid, m.id), {}), targets.get((cid, m.id), {}), as_of)
        for m in measures
    ]
    quarters = period.through(as_of)
    cells = {}
    for m in measures:
        mine, goals = figures.get((cid, m.id), {}), targets.get((cid, m.id), {})
        for q in quarters:
            cells[(m.id, q)] = (mine.get(q), calc.quarter_target(m, goals, q))
    behind = [p for p in progress if p.status == "behind"]
    chosen = next((m for m in measures if m.slug == measure_slug), None)
    if chosen is None:
        chosen = behind[0].measure if behind else (measures[0] if measures else None)
    trend = (
        []
        if chosen is None
        else calc.trend(
            chosen,
            [(figures.get((cid, chosen.id), {}), targets.get((cid, chosen.id), {}))],
            quarters,
        )
    )
    day = today(now)
    by_quarter = {(r.year, r.quarter): r for r in queries.reports(frozenset({cid}))}
    reports = [
        report_row(period, q, by_quarter.get((q.year, q.number)), day)
        for q in reversed(period.reportable(now))
    ]
    coaching, topics = None, []
    if can_view_coaching_summary(viewer, coalition) and quarters:
        coaching, topics = coaching_by_quarter(cid, quarters)
    peers = (
        peers_for(coalition, behind, everyone, figures, targets, calc, as_of) if with_peers else {}
    )
    return CoalitionDashboard(
        period,
        coalition,
        as_of,
        measures,
        progress,
        quarters,
        cells,
        reports,
        chosen,
        trend,
        coaching,
        topics,
        peers,
    )


def coaching_by_quarter(
    coalition_id: int, quarters: list[Quarter]
) -> tuple[list[CoachingQuarter], list[str]]:
    start, _ = quarters[0].bounds()
    _, end = quarters[-1].bounds()
    result = {q: CoachingQuarter(q) for q in quarters}
    labels: dict[str, None] = {}
    for s in queries.coaching_sessions(frozenset({coalition_id}), start, end):
        q = Quarter.containing(s.started_at)
        row = result.get(q)
        if row is None:
            continue
        row.sessions += 1
        row.minutes += s.minutes
        for label in s.topics:
            labels.setdefault(label, None)
            tally = row.by_topic.setdefault(label, [0, 0])
            tally[0] += 1
            tally[1] += s.minutes
        for measure_id in s.measure_ids:
            row.by_measure[measure_id] = row.by_measure.get(measure_id, 0) + 1
    return list(result.values()), list(labels)


def peers_for(
    coalition: Coalition,
    behind: list[Progress],
    everyone: list[Coalition],
    figures,
    targets,
    calc: Calculator,
    as_of: Quarter,
    *,
    limit: int = 3,
) -> dict[int, list[Peer]]:
    """For each measure the coalition is behind on: up to three coalitions sharing one of its
    sectors that are on track or ahead on it, best first."""
    if not behind:
        return {}
    sectors = queries.sectors_of(None)
    mine = sectors.get(coalition.id, set())
    neighbours = [c for c in everyone if c.id != coalition.id and sectors.get(c.id, set()) & mine]
    chosen: dict[int, list[tuple[Coalition, Progress]]] = {}
    for p in behind:
        m = p.measure
        good = []
        for c in neighbours:
            theirs = calc.progress(
                m, figures.get((c.id, m.id), {}), targets.get((c.id, m.id), {}), as_of
            )
            if theirs.status in ("ahead", "on_track"):
                good.append((c, theirs))
        good.sort(key=lambda pair: (-pair[1].pct, pair[0].name))
        chosen[m.id] = good[:limit]
    ids = frozenset(c.id for pairs in chosen.values() for c, _ in pairs)
    leads = queries.leads_of(ids) if ids else {}
    return {
        mid: [Peer(c, p, leads.get(c.id, [])) for c, p in pairs] for mid, pairs in chosen.items()
    }


# ---------------------------------------------------------------- a coach's coalitions


@dataclass
class CoachRow:
    coalition: Coalition
    coaches: list[User]
    last_report: ReportRow
    current_report: ReportRow
    behind: list[Measure]
    last_contact: datetime | None


@dataclass
class CoachDashboard:
    as_of: Quarter
    current: Quarter
    rows: list[CoachRow]
    coach: User | None


def coach_board(
    viewer: User, as_of: Quarter, *, coach: User | None = None, now: datetime | None = None
) -> CoachDashboard:
    """The coalitions of a coach (the viewer, or for admins the one chosen, else all)."""
    from cop.coalitions.permissions import coached_coalition_ids

    period = GrantPeriod.current()
    calc = Calculator(period)
    if viewer.is_coach:
        coach = viewer
    scope = coached_coalition_ids(coach) if coach is not None else staff_scope(viewer)
    mine = queries.coalitions(scope)
    measures = queries.measures()
    figures, targets = queries.figures(scope, as_of), queries.targets(scope)
    current = period.clamp(period.current_quarter(now))
    day = today(now)
    last = {r.coalition_id: r for r in queries.reports(scope, quarter=as_of)}
    this = {r.coalition_id: r for r in queries.reports(scope, quarter=current)}
    contacts = queries.last_contacts(scope)
    staff = queries.coaches_by_coalition(scope)
    rows = []
    for c in mine:
        behind = [
            m
            for m in measures
            if calc.progress(
                m, figures.get((c.id, m.id), {}), targets.get((c.id, m.id), {}), as_of
            ).status
            == "behind"
        ]
        rows.append(
            CoachRow(
                c,
                staff.get(c.id, []),
                report_row(period, as_of, last.get(c.id), day),
                report_row(period, current, this.get(c.id), day),
                behind,
                contacts.get(c.id),
            )
        )
    return CoachDashboard(as_of, current, rows, coach)


# ---------------------------------------------------------------- comparisons


def comparison_snapshot(as_of: Quarter, period: GrantPeriod | None = None) -> dict[str, Any]:
    """Every coalition's progress as of the quarter, as JSON to freeze in a comparison."""
    period = period or GrantPeriod.current()
    calc = Calculator(period)
    measures = queries.measures()
    everyone = queries.coalitions()
    figures, targets = queries.figures(None, as_of), queries.targets(None)

    def cell(p: Progress) -> dict[str, Any]:
        return {
            "actual": number(p.actual),
            "target": number(p.target),
            "pct": number(p.pct, "0.1"),
            "status": p.status,
        }

    rows = []
    for c in everyone:
        cells = {
            m.slug: cell(
                calc.progress(
                    m, figures.get((c.id, m.id), {}), targets.get((c.id, m.id), {}), as_of
                )
            )
            for m in measures
        }
        rows.append({"slug": c.slug, "name": c.name, "cells": cells})
    return {
        "as_of": as_of.key,
        "taken_at": utcnow().isoformat(),
        "measures": [{"slug": m.slug, "name": m.name, "kind": m.kind} for m in measures],
        "rows": rows,
    }


STATUSES = tuple(s.value for s in ReportStatus) + ("missing",)
