"""Read-side selects for reporting pages, API and exports: a bounded number of statements per
page, whatever the number of coalitions, measures and quarters."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cop.accounts.models import User
from cop.coaching.models import (
    ActionItem,
    CoachingSession,
    CoachingTopic,
    ItemStatus,
    session_topics,
)
from cop.coalitions.models import CoachAssignment, Coalition, CoalitionSector, Membership
from cop.extensions import db
from cop.reporting.models import (
    Comparison,
    Figure,
    Measure,
    QuarterlyReport,
    Target,
    session_measures,
)
from cop.reporting.periods import Quarter

# (coalition id, measure id) -> {quarter: value}
FigureMap = dict[tuple[int, int], dict[Quarter, Decimal]]
# (coalition id, measure id) -> {period: value}
TargetMap = dict[tuple[int, int], dict[int, Decimal]]


def _scope(stmt, column, ids: frozenset[int] | None):
    """Limit to the coalitions given; None means no limit (admins)."""
    return stmt if ids is None else stmt.where(column.in_(ids or [-1]))


def _through(quarter: Quarter):
    """Reports of quarters up to and including `quarter`."""
    return sa.or_(
        QuarterlyReport.year < quarter.year,
        sa.and_(QuarterlyReport.year == quarter.year, QuarterlyReport.quarter <= quarter.number),
    )


# ---------------------------------------------------------------- measures and coalitions


def measures(*, active_only: bool = True) -> list[Measure]:
    stmt = sa.select(Measure).order_by(Measure.position, Measure.name)
    if active_only:
        stmt = stmt.where(Measure.active.is_(True))
    return list(db.session.execute(stmt).scalars())


def coalitions(ids: frozenset[int] | None = None) -> list[Coalition]:
    stmt = _scope(sa.select(Coalition).order_by(Coalition.name), Coalition.id, ids)
    return list(db.session.execute(stmt).scalars())


def coalitions_by_slug(slugs) -> dict[str, Coalition]:
    slugs = {s for s in slugs if s}
    if not slugs:
        return {}
    return {
        c.slug: c
        for c in db.session.execute(sa.select(Coalition).where(Coalition.slug.in_(slugs))).scalars()
    }


def sectors_of(ids: frozenset[int] | None = None) -> dict[int, set[str]]:
    stmt = _scope(
        sa.select(CoalitionSector.coalition_id, CoalitionSector.sector),
        CoalitionSector.coalition_id,
        ids,
    )
    result: dict[int, set[str]] = defaultdict(set)
    for coalition_id, sector in db.session.execute(stmt).all():
        result[coalition_id].add(sector)
    return result


def leads_of(ids: frozenset[int] | None = None) -> dict[int, list[User]]:
    """Active leads of each coalition (for "start a conversation" links)."""
    stmt = _scope(
        sa.select(Membership.coalition_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.is_lead.is_(True), User.active.is_(True))
        .order_by(User.name),
        Membership.coalition_id,
        ids,
    )
    result: dict[int, list[User]] = defaultdict(list)
    for coalition_id, user in db.session.execute(stmt).all():
        result[coalition_id].append(user)
    return result


def coaches_by_coalition(ids: frozenset[int] | None = None) -> dict[int, list[User]]:
    stmt = _scope(
        sa.select(CoachAssignment.coalition_id, User)
        .join(User, User.id == CoachAssignment.coach_id)
        .where(User.active.is_(True))
        .order_by(User.name),
        CoachAssignment.coalition_id,
        ids,
    )
    result: dict[int, list[User]] = defaultdict(list)
    for coalition_id, user in db.session.execute(stmt).all():
        result[coalition_id].append(user)
    return result


def coaches() -> list[User]:
    return list(
        db.session.execute(
            sa.select(User).where(User.role == "coach", User.active.is_(True)).order_by(User.name)
        ).scalars()
    )


# ---------------------------------------------------------------- figures and targets


def figures(ids: frozenset[int] | None, through: Quarter) -> FigureMap:
    """Every figure of the coalitions given, of quarters up to `through`: one statement."""
    stmt = (
        sa.select(
            QuarterlyReport.coalition_id,
            Figure.measure_id,
            QuarterlyReport.year,
            QuarterlyReport.quarter,
            Figure.value,
        )
        .join(QuarterlyReport, QuarterlyReport.id == Figure.report_id)
        .where(_through(through))
    )
    stmt = _scope(stmt, QuarterlyReport.coalition_id, ids)
    result: FigureMap = defaultdict(dict)
    for coalition_id, measure_id, year, number, value in db.session.execute(stmt).all():
        result[(coalition_id, measure_id)][Quarter(year, number)] = Decimal(value)
    return result


def targets(ids: frozenset[int] | None) -> TargetMap:
    stmt = _scope(
        sa.select(Target.coalition_id, Target.measure_id, Target.period, Target.value),
        Target.coalition_id,
        ids,
    )
    result: TargetMap = defaultdict(dict)
    for coalition_id, measure_id, period, value in db.session.execute(stmt).all():
        result[(coalition_id, measure_id)][period] = Decimal(value)
    return result


def targets_list(ids: frozenset[int] | None) -> list[Target]:
    stmt = (
        sa.select(Target)
        .options(selectinload(Target.coalition), selectinload(Target.measure))
        .join(Coalition, Coalition.id == Target.coalition_id)
        .join(Measure, Measure.id == Target.measure_id)
        .order_by(Coalition.name, Measure.position, Target.period)
    )
    return list(db.session.execute(_scope(stmt, Target.coalition_id, ids)).scalars())


# ---------------------------------------------------------------- reports


def reports(
    ids: frozenset[int] | None,
    *,
    quarter: Quarter | None = None,
    through: Quarter | None = None,
    status: str | None = None,
    with_figures: bool = False,
    limit: int | None = None,
) -> list[QuarterlyReport]:
    stmt = (
        sa.select(QuarterlyReport)
        .options(
            selectinload(QuarterlyReport.submitted_by),
            selectinload(QuarterlyReport.reviewed_by),
            selectinload(QuarterlyReport.coalition),
        )
        .join(Coalition, Coalition.id == QuarterlyReport.coalition_id)
        .order_by(QuarterlyReport.year.desc(), QuarterlyReport.quarter.desc(), Coalition.name)
    )
    if with_figures:
        stmt = stmt.options(selectinload(QuarterlyReport.figures).selectinload(Figure.measure))
    if quarter is not None:
        stmt = stmt.where(
            QuarterlyReport.year == quarter.year, QuarterlyReport.quarter == quarter.number
        )
    if through is not None:
        stmt = stmt.where(_through(through))
    if status:
        stmt = stmt.where(QuarterlyReport.status == status)
    if limit:
        stmt = stmt.limit(limit)
    return list(db.session.execute(_scope(stmt, QuarterlyReport.coalition_id, ids)).scalars())


def report_for(coalition: Coalition, quarter: Quarter) -> QuarterlyReport | None:
    return db.session.execute(
        sa.select(QuarterlyReport)
        .options(
            selectinload(QuarterlyReport.figures),
            selectinload(QuarterlyReport.submitted_by),
            selectinload(QuarterlyReport.reviewed_by),
        )
        .where(
            QuarterlyReport.coalition_id == coalition.id,
            QuarterlyReport.year == quarter.year,
            QuarterlyReport.quarter == quarter.number,
        )
    ).scalar_one_or_none()


def comparisons(*, include_withdrawn: bool = False) -> list[Comparison]:
    stmt = (
        sa.select(Comparison)
        .options(selectinload(Comparison.published_by))
        .order_by(Comparison.published_at.desc(), Comparison.id.desc())
    )
    if not include_withdrawn:
        stmt = stmt.where(Comparison.withdrawn_at.is_(None))
    return list(db.session.execute(stmt).scalars())


# ---------------------------------------------------------------- coaching


@dataclass
class SessionRow:
    id: int
    coalition_id: int
    started_at: datetime
    minutes: int
    topics: list[str]
    measure_ids: list[int]


def coaching_sessions(
    ids: frozenset[int] | None, start: datetime | None, end: datetime | None
) -> list[SessionRow]:
    """Sessions in [start, end) with their topic labels and measure tags: three statements."""
    stmt = sa.select(
        CoachingSession.id,
        CoachingSession.coalition_id,
        CoachingSession.started_at,
        CoachingSession.duration_minutes,
    ).order_by(CoachingSession.started_at, CoachingSession.id)
    if start is not None:
        stmt = stmt.where(CoachingSession.started_at >= start)
    if end is not None:
        stmt = stmt.where(CoachingSession.started_at < end)
    stmt = _scope(stmt, CoachingSession.coalition_id, ids)
    rows = {
        sid: SessionRow(sid, cid, started, minutes, [], [])
        for sid, cid, started, minutes in db.session.execute(stmt).all()
    }
    if not rows:
        return []
    chosen = sa.select(CoachingSession.id).where(CoachingSession.id.in_(list(rows)))
    for sid, label in db.session.execute(
        sa.select(session_topics.c.session_id, CoachingTopic.label)
        .join(CoachingTopic, CoachingTopic.id == session_topics.c.topic_id)
        .where(session_topics.c.session_id.in_(chosen))
        .order_by(CoachingTopic.position)
    ).all():
        rows[sid].topics.append(label)
    for sid, measure_id in db.session.execute(
        sa.select(session_measures.c.session_id, session_measures.c.measure_id).where(
            session_measures.c.session_id.in_(chosen)
        )
    ).all():
        rows[sid].measure_ids.append(measure_id)
    return list(rows.values())


def tagged_pairs(
    ids: frozenset[int] | None, start: datetime, end: datetime
) -> set[tuple[int, int]]:
    """(coalition id, measure id) of sessions in [start, end) tagged with the measure."""
    stmt = (
        sa.select(CoachingSession.coalition_id, session_measures.c.measure_id)
        .join(session_measures, session_measures.c.session_id == CoachingSession.id)
        .where(CoachingSession.started_at >= start, CoachingSession.started_at < end)
        .distinct()
    )
    return {
        (c, m) for c, m in db.session.execute(_scope(stmt, CoachingSession.coalition_id, ids)).all()
    }


def last_contacts(ids: frozenset[int] | None) -> dict[int, datetime]:
    stmt = _scope(
        sa.select(CoachingSession.coalition_id, sa.func.max(CoachingSession.started_at)).group_by(
            CoachingSession.coalition_id
        ),
        CoachingSession.coalition_id,
        ids,
    )
    return dict(db.session.execute(stmt).all())  # max() keeps the column's UTC type


def open_action_items(coalition: Coalition) -> list[ActionItem]:
    return list(
        db.session.execute(
            sa.select(ActionItem)
            .options(selectinload(ActionItem.owner))
            .where(
                ActionItem.coalition_id == coalition.id, ActionItem.status == ItemStatus.OPEN.value
            )
            .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        ).scalars()
    )


def session_measures_of(session_id: int) -> list[Measure]:
    return list(
        db.session.execute(
            sa.select(Measure)
            .join(session_measures, session_measures.c.measure_id == Measure.id)
            .where(session_measures.c.session_id == session_id)
            .order_by(Measure.position)
        ).scalars()
    )


# ---------------------------------------------------------------- events (when installed)


@dataclass
class EventAttended:
    event: object  # cop.events.models.Event
    attendees: int  # the coalition's people who attended it


def events_attended(
    coalition_id: int, start: datetime, end: datetime
) -> list[EventAttended] | None:
    """Events starting in [start, end) that the coalition's members attended (as the events
    feature records it: the host's correction, else joining the live page or chat), with how
    many of them; None when the events feature is not installed. One statement."""
    import importlib.util

    if importlib.util.find_spec("cop.events") is None:
        return None
    try:
        from cop.events.models import Event, EventStatus, Registration
    except ImportError:  # pragma: no cover - a half-installed feature
        return None
    attended = sa.or_(
        Registration.attended.is_(True),
        sa.and_(Registration.attended.is_(None), Registration.joined_at.is_not(None)),
    )
    rows = db.session.execute(
        sa.select(Event, sa.func.count(Registration.id))
        .join(Registration, Registration.event_id == Event.id)
        .join(
            Membership,
            sa.and_(
                Membership.user_id == Registration.user_id, Membership.coalition_id == coalition_id
            ),
        )
        .where(
            Event.starts_at >= start,
            Event.starts_at < end,
            attended,
            Event.status != EventStatus.CANCELLED.value,
        )
        .group_by(Event.id)
        .order_by(Event.starts_at, Event.id)
    ).all()
    return [EventAttended(event, count) for event, count in rows]
