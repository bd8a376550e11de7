"""CSV exports of the coaching logs and of the quarterly summary (coaches and admins only),
written with the injection-safe writer of cop.core.csvsafe."""

from __future__ import annotations

from flask import Response

from cop.accounts.models import User
from cop.coaching import queries
from cop.coaching.analysis import Quarter, Tally, fmt_hours, reporting_tz_name, summary_for
from cop.coaching.models import ItemStatus
from cop.coalitions.models import Coalition
from cop.core.csvsafe import csv_response
from cop.core.timezones import zone

SESSION_HEADER = [
    "session_id",
    "quarter",
    "coalition_slug",
    "coalition",
    "date",
    "start_time",
    "time_zone",
    "duration_minutes",
    "hours",
    "modality",
    "initiated_by",
    "coaches",
    "attendees",
    "other_attendees",
    "topics",
    "need",
    "what_was_done",
    "what_changed",
    "next_session_date",
    "private_notes",
    "action_items_open",
    "action_items_done",
    "action_items_dropped",
]

SUMMARY_HEADER = [
    "quarter",
    "coalition_slug",
    "coalition",
    "dimension",
    "category",
    "sessions",
    "hours",
    "action_items_opened",
    "action_items_done",
    "action_items_dropped",
]


def sessions_csv(viewer: User, quarter: Quarter | None, coalition: Coalition | None) -> Response:
    """Every session in scope (a quarter, or all of them), oldest first."""
    start, end = quarter.bounds() if quarter is not None else (None, None)
    sessions = queries.sessions_between(viewer, start, end, coalition)
    tz_name = reporting_tz_name()
    tz = zone(tz_name)

    def rows():
        for s in sessions:
            local = s.started_at.astimezone(tz)
            statuses = [i.status for i in s.action_items]
            yield [
                s.id,
                Quarter.of(local.date()).key,
                s.coalition.slug,
                s.coalition.name,
                local.date(),
                local.strftime("%H:%M"),
                tz_name,
                s.duration_minutes,
                fmt_hours(s.hours),
                s.modality_label,
                s.initiated_by,
                _names(s.coaches),
                _names(s.attendees),
                s.other_attendees,
                "; ".join(t.label for t in s.topics),
                s.need,
                s.summary,
                s.outcome,
                s.next_session_on,
                s.private_notes,
                statuses.count(ItemStatus.OPEN),
                statuses.count(ItemStatus.DONE),
                statuses.count(ItemStatus.DROPPED),
            ]

    name = f"coaching-sessions-{quarter.key if quarter else 'all'}"
    if coalition is not None:
        name += f"-{coalition.slug}"
    return csv_response(f"{name}.csv", SESSION_HEADER, rows())


def summary_csv(viewer: User, quarter: Quarter, coalition: Coalition | None) -> Response:
    """The summary in long form: one row per coalition (and ALL) and dimension."""
    summary, _ = summary_for(viewer, quarter, coalition)
    key = quarter.key

    def tally_rows(slug: str, name: str, by_modality, by_topic):
        for label, t in by_modality:
            yield [key, slug, name, "modality", label, t.sessions, fmt_hours(t.hours), "", "", ""]
        for label, t in by_topic:
            yield [key, slug, name, "topic", label, t.sessions, fmt_hours(t.hours), "", "", ""]

    def rows():
        yield [
            key,
            "ALL",
            "All coalitions in scope",
            "total",
            "",
            summary.total.sessions,
            fmt_hours(summary.total.hours),
            summary.items_opened,
            summary.items_done,
            summary.items_dropped,
        ]
        yield from tally_rows(
            "ALL", "All coalitions in scope", summary.by_modality, summary.by_topic
        )
        yield [
            key,
            "ALL",
            "All coalitions in scope",
            "not_reached",
            "",
            len(summary.not_reached),
            "",
            "",
            "",
            "",
        ]
        for f in summary.coalitions:
            c = f.coalition
            yield [
                key,
                c.slug,
                c.name,
                "total",
                "reached" if f.reached else "not reached",
                f.total.sessions,
                fmt_hours(f.total.hours),
                f.items_opened,
                f.items_done,
                f.items_dropped,
            ]
            yield from tally_rows(
                c.slug,
                c.name,
                [(label, f.by_modality.get(m, Tally())) for m, label in _modalities()],
                sorted(f.by_topic.items()),
            )

    name = f"coaching-summary-{key}" + (f"-{coalition.slug}" if coalition else "")
    return csv_response(f"{name}.csv", SUMMARY_HEADER, rows())


def _modalities():
    from cop.coaching.models import MODALITY_LABELS

    return [(m.value, label) for m, label in MODALITY_LABELS.items()]


def _names(users) -> str:
    return "; ".join(u.name for u in users)
