"""Every table of the reporting pages as CSV, through the injection-safe writer of
cop.core.csvsafe (a coalition named "=HYPERLINK(...)" stays text). Long layouts, one value a
row, so a spreadsheet can pivot them. Each function returns (filename, header, rows)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cop.coaching.analysis import fmt_hours
from cop.reporting.dashboards import (
    STATUS_LABELS,
    CoachDashboard,
    CoalitionDashboard,
    MeasureDashboard,
    ProgramDashboard,
    Progress,
    ReportRow,
    number,
)
from cop.reporting.models import Comparison

Table = tuple[str, list[str], Iterable[list[Any]]]

PROGRESS_HEADER = [
    "value_to_date",
    "target_to_date",
    "percent_of_target",
    "status",
    "grant_target",
    "latest_quarter",
]


def _progress(p: Progress) -> list[Any]:
    return [
        number(p.actual),
        number(p.target),
        number(p.pct, "0.1"),
        STATUS_LABELS[p.status],
        number(p.grant_target),
        p.latest.key if p.latest else "",
    ]


def _report(r: ReportRow) -> list[Any]:
    report = r.report
    return [
        r.quarter.key,
        r.state,
        r.due_on,
        "yes" if r.overdue else "no",
        report.submitted_at if report else "",
        report.submitted_by.name if report and report.submitted_by else "",
        report.reviewed_at if report else "",
        report.reviewed_by.name if report and report.reviewed_by else "",
    ]


REPORT_HEADER = [
    "quarter",
    "status",
    "due_on",
    "overdue",
    "submitted_at",
    "submitted_by",
    "reviewed_at",
    "reviewed_by",
]

# ---------------------------------------------------------------- program


def program_table(board: ProgramDashboard, table: str) -> Table | None:
    key = board.as_of.key
    if table == "totals":
        rows = (
            [key, p.measure.slug, p.measure.name, p.measure.kind, *_progress(p), p.reporting]
            for p in board.totals
        )
        return (
            f"program-totals-{key}.csv",
            ["as_of", "measure", "measure_name", "kind", *PROGRESS_HEADER, "coalitions_reporting"],
            rows,
        )
    if table == "trend":
        rows = (
            [pt.quarter.key, m.slug, m.name, number(pt.value), number(pt.target), pt.reporting]
            for m in board.measures
            for pt in board.trends[m.id]
        )
        return (
            f"program-trend-{key}.csv",
            ["quarter", "measure", "measure_name", "value", "target", "coalitions_reporting"],
            rows,
        )
    if table == "coalitions" and board.staff:
        rows = (
            [
                key,
                r.coalition.slug,
                r.coalition.name,
                r.report.state if r.report else "",
                m.slug,
                *_progress(r.cells[m.id]),
            ]
            for r in board.rows
            for m in board.measures
        )
        return (
            f"program-coalitions-{key}.csv",
            ["as_of", "coalition", "coalition_name", "report_status", "measure", *PROGRESS_HEADER],
            rows,
        )
    if table == "gaps" and board.staff:
        rows = (
            [board.coaching_quarter.key, m.slug, m.name, c.slug, c.name]
            for m in board.measures
            for c in board.gaps.get(m.id, [])
        )
        return (
            f"behind-without-coaching-{board.coaching_quarter.key}.csv",
            ["coaching_quarter", "measure", "measure_name", "coalition", "coalition_name"],
            rows,
        )
    return None


# ---------------------------------------------------------------- one coalition


def coalition_table(board: CoalitionDashboard, table: str) -> Table | None:
    slug, key = board.coalition.slug, board.as_of.key
    if table == "progress":
        rows = ([key, p.measure.slug, p.measure.name, *_progress(p)] for p in board.progress)
        return (
            f"{slug}-progress-{key}.csv",
            ["as_of", "measure", "measure_name", *PROGRESS_HEADER],
            rows,
        )
    if table == "quarters":
        rows = (
            [
                q.key,
                m.slug,
                m.name,
                number(board.cells[(m.id, q)][0]),
                number(board.cells[(m.id, q)][1]),
            ]
            for m in board.measures
            for q in board.quarters
        )
        return (
            f"{slug}-quarters-{key}.csv",
            ["quarter", "measure", "measure_name", "figure", "quarter_target"],
            rows,
        )
    if table == "reports":
        return f"{slug}-reports.csv", REPORT_HEADER, (_report(r) for r in board.reports)
    if table == "coaching" and board.coaching is not None:

        def rows():
            for cq in board.coaching:
                yield [cq.quarter.key, "all", cq.sessions, fmt_hours(cq.hours)]
                for label, (sessions, minutes) in cq.by_topic.items():
                    yield [cq.quarter.key, label, sessions, fmt_hours(minutes / 60)]

        return (f"{slug}-coaching-{key}.csv", ["quarter", "topic", "sessions", "hours"], rows())
    if table == "trend" and board.chosen is not None:
        rows = (
            [pt.quarter.key, board.chosen.slug, number(pt.value), number(pt.target)]
            for pt in board.trend
        )
        return (
            f"{slug}-{board.chosen.slug}-{key}.csv",
            ["quarter", "measure", "figure", "quarter_target"],
            rows,
        )
    return None


# ---------------------------------------------------------------- one measure, a coach


def measure_table(board: MeasureDashboard, table: str) -> Table | None:
    m, key = board.measure, board.as_of.key
    if table == "trend":
        rows = (
            [pt.quarter.key, m.slug, number(pt.value), number(pt.target), pt.reporting]
            for pt in board.trend
        )
        return (
            f"{m.slug}-trend-{key}.csv",
            ["quarter", "measure", "program_value", "program_target", "coalitions_reporting"],
            rows,
        )
    if table == "coalitions" and board.staff:
        rows = ([key, c.slug, c.name, m.slug, *_progress(p)] for c, p, _ in board.rows)
        return (
            f"{m.slug}-coalitions-{key}.csv",
            ["as_of", "coalition", "coalition_name", "measure", *PROGRESS_HEADER],
            rows,
        )
    return None


def coach_table(board: CoachDashboard) -> Table:
    rows = (
        [
            r.coalition.slug,
            r.coalition.name,
            "; ".join(u.name for u in r.coaches),
            board.as_of.key,
            r.last_report.state,
            "yes" if r.last_report.overdue else "no",
            board.current.key,
            r.current_report.state,
            len(r.behind),
            "; ".join(m.name for m in r.behind),
            r.last_contact or "",
        ]
        for r in board.rows
    )
    return (
        f"my-coalitions-{board.as_of.key}.csv",
        [
            "coalition",
            "coalition_name",
            "coaches",
            "as_of",
            "report_status",
            "report_overdue",
            "current_quarter",
            "current_report_status",
            "measures_behind",
            "behind_on",
            "last_coaching_session",
        ],
        rows,
    )


def reports_table(quarter_key: str, rows: list[tuple[Any, ReportRow]]) -> Table:
    return (
        f"reports-{quarter_key}.csv",
        ["coalition", "coalition_name", *REPORT_HEADER],
        ([c.slug, c.name, *_report(r)] for c, r in rows),
    )


def comparison_table(comparison: Comparison) -> Table:
    snap = comparison.snapshot
    rows = (
        [
            snap.get("as_of", comparison.quarter_key),
            row["slug"],
            row["name"],
            m["slug"],
            cell.get("actual"),
            cell.get("target"),
            cell.get("pct"),
            STATUS_LABELS.get(cell.get("status"), ""),
        ]
        for row in snap.get("rows", [])
        for m in snap.get("measures", [])
        for cell in [row["cells"].get(m["slug"], {})]
    )
    return (
        f"comparison-{comparison.id}-{comparison.quarter_key}.csv",
        [
            "as_of",
            "coalition",
            "coalition_name",
            "measure",
            "value_to_date",
            "target_to_date",
            "percent_of_target",
            "status",
        ],
        rows,
    )
