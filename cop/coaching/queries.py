"""Read-side selects for coaching pages, API and exports: eager loading, keyset pagination,
a bounded number of statements per page whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

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
from cop.coaching.permissions import (
    can_view_private_notes,
    staff_coalition_ids,
    visible_coalition_ids,
)
from cop.coalitions.models import CoachAssignment, Coalition, Membership
from cop.core.pagination import Page, decode_cursor, encode_cursor
from cop.extensions import db

PAGE_SIZE = 20
API_PAGE_SIZE = 50


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _session_options(*, coalition: bool = True):
    """Eager loads for lists of sessions; `coalition=False` when they share one coalition the
    session already holds (a many-to-one then loads from the identity map, without SQL)."""
    options = [
        selectinload(CoachingSession.coaches),
        selectinload(CoachingSession.attendees),
        selectinload(CoachingSession.topics),
        selectinload(CoachingSession.action_items).selectinload(ActionItem.owner),
        selectinload(CoachingSession.action_items).selectinload(ActionItem.closed_by),
    ]
    if coalition:
        options.append(selectinload(CoachingSession.coalition))
    return tuple(options)


def _scope(stmt, column, ids: frozenset[int] | None):
    """Limit to the coalitions given; None means no limit (admins)."""
    return stmt if ids is None else stmt.where(column.in_(ids or [-1]))


# ---------------------------------------------------------------- topics and people


def all_topics() -> list[CoachingTopic]:
    return list(
        db.session.execute(
            sa.select(CoachingTopic).order_by(CoachingTopic.position, CoachingTopic.label)
        ).scalars()
    )


def coalition_members(coalition: Coalition) -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.coalition_id == coalition.id, User.active.is_(True))
            .order_by(User.name)
        ).scalars()
    )


def coalition_coaches(coalition: Coalition) -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(CoachAssignment, CoachAssignment.coach_id == User.id)
            .where(CoachAssignment.coalition_id == coalition.id, User.active.is_(True))
            .order_by(User.name)
        ).scalars()
    )


def coalitions_for_logging(user: User) -> list[Coalition]:
    ids = staff_coalition_ids(user)
    stmt = _scope(sa.select(Coalition).order_by(Coalition.name), Coalition.id, ids)
    return list(db.session.execute(stmt).scalars())


def visible_coalitions(user: User) -> list[Coalition]:
    ids = visible_coalition_ids(user)
    stmt = _scope(sa.select(Coalition).order_by(Coalition.name), Coalition.id, ids)
    return list(db.session.execute(stmt).scalars())


# ---------------------------------------------------------------- history


@dataclass
class HistoryFilters:
    topic: str = ""
    q: str = ""

    @property
    def active(self) -> bool:
        return bool(self.topic or self.q)


def history_page(
    viewer: User,
    coalition: Coalition,
    filters: HistoryFilters,
    after: str | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """A coalition's sessions, newest first, searchable by topic and text.

    The text search reads private notes only for those who may see them: a member must not
    learn what the notes say from which sessions a search finds."""
    stmt = (
        sa.select(CoachingSession)
        .options(*_session_options(coalition=False))
        .where(CoachingSession.coalition_id == coalition.id)
        .order_by(CoachingSession.started_at.desc(), CoachingSession.id.desc())
    )
    notes_in = None if can_view_private_notes(viewer, coalition) else frozenset()
    stmt = _filter(stmt, filters, notes_in=notes_in)
    return _keyset_page(stmt, after, size)


def _keyset_page(stmt, after: str | None, size: int) -> Page:
    """Newest first by (started_at, id); the cursor is the last row's pair."""
    cursor = decode_cursor(after)
    if cursor and len(cursor) == 2:
        try:
            moment, last_id = datetime.fromisoformat(str(cursor[0])), int(cursor[1])
        except (TypeError, ValueError):
            moment = None
        if moment is not None and moment.tzinfo is not None:
            stmt = stmt.where(
                sa.or_(
                    CoachingSession.started_at < moment,
                    sa.and_(CoachingSession.started_at == moment, CoachingSession.id < last_id),
                )
            )
    rows = list(db.session.execute(stmt.limit(size + 1)).scalars())
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        next_cursor = encode_cursor([rows[-1].started_at.isoformat(), rows[-1].id])
    return Page(rows, next_cursor)


def _filter(stmt, filters: HistoryFilters, *, notes_in: frozenset[int] | None):
    """Topic and text filters. The text search reads private notes only in the coalitions
    `notes_in` (None: all), so a member cannot learn what notes say from search hits."""
    if filters.topic:
        stmt = stmt.where(
            CoachingSession.id.in_(
                sa.select(session_topics.c.session_id)
                .join(CoachingTopic, CoachingTopic.id == session_topics.c.topic_id)
                .where(CoachingTopic.slug == filters.topic)
            )
        )
    if filters.q:
        like = _like(filters.q)
        public = sa.or_(
            *[
                c.ilike(like, escape="\\")
                for c in (
                    CoachingSession.need,
                    CoachingSession.summary,
                    CoachingSession.outcome,
                    CoachingSession.other_attendees,
                )
            ]
        )
        notes = CoachingSession.private_notes.ilike(like, escape="\\")
        if notes_in is None:
            stmt = stmt.where(sa.or_(public, notes))
        elif notes_in:
            stmt = stmt.where(
                sa.or_(public, sa.and_(CoachingSession.coalition_id.in_(notes_in), notes))
            )
        else:
            stmt = stmt.where(public)
    return stmt


def api_sessions_page(
    viewer: User, *, coalition: Coalition | None, filters: HistoryFilters, after: str | None
) -> Page:
    """Sessions the viewer may see, across their coalitions or in one."""
    if coalition is not None:
        return history_page(viewer, coalition, filters, after, size=API_PAGE_SIZE)
    stmt = (
        sa.select(CoachingSession)
        .options(*_session_options())
        .order_by(CoachingSession.started_at.desc(), CoachingSession.id.desc())
    )
    stmt = _scope(stmt, CoachingSession.coalition_id, visible_coalition_ids(viewer))
    stmt = _filter(stmt, filters, notes_in=staff_coalition_ids(viewer))
    return _keyset_page(stmt, after, API_PAGE_SIZE)


def last_session(coalition: Coalition) -> CoachingSession | None:
    return db.session.execute(
        sa.select(CoachingSession)
        .options(selectinload(CoachingSession.attendees))
        .where(CoachingSession.coalition_id == coalition.id)
        .order_by(CoachingSession.started_at.desc(), CoachingSession.id.desc())
        .limit(1)
    ).scalar_one_or_none()


# ---------------------------------------------------------------- action items


def _item_options(*, coalition: bool = True):
    options = [selectinload(ActionItem.owner), selectinload(ActionItem.closed_by)]
    if coalition:
        options.append(selectinload(ActionItem.coalition))
    return tuple(options)


def open_items_for_coalition(coalition: Coalition, owner_id: int | None = None) -> list[ActionItem]:
    stmt = (
        sa.select(ActionItem)
        .options(*_item_options(coalition=False))
        .join(User, User.id == ActionItem.owner_id)
        .where(ActionItem.coalition_id == coalition.id, ActionItem.status == ItemStatus.OPEN.value)
        .order_by(User.name, ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
    )
    if owner_id is not None:
        stmt = stmt.where(ActionItem.owner_id == owner_id)
    return list(db.session.execute(stmt).scalars())


def open_items_for_person(viewer: User, person: User) -> list[ActionItem]:
    """A person's open items, in the coalitions the viewer may see."""
    stmt = (
        sa.select(ActionItem)
        .options(*_item_options())
        .join(Coalition, Coalition.id == ActionItem.coalition_id)
        .where(ActionItem.owner_id == person.id, ActionItem.status == ItemStatus.OPEN.value)
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, Coalition.name, ActionItem.id)
    )
    stmt = _scope(stmt, ActionItem.coalition_id, visible_coalition_ids(viewer))
    return list(db.session.execute(stmt).scalars())


def api_items(
    viewer: User,
    *,
    coalition: Coalition | None = None,
    owner_id: int | None = None,
    status: str | None = None,
    limit: int = 500,
) -> list[ActionItem]:
    stmt = (
        sa.select(ActionItem)
        .options(*_item_options())
        .order_by(ActionItem.due_on.is_(None), ActionItem.due_on, ActionItem.id)
        .limit(limit)
    )
    stmt = _scope(stmt, ActionItem.coalition_id, visible_coalition_ids(viewer))
    if coalition is not None:
        stmt = stmt.where(ActionItem.coalition_id == coalition.id)
    if owner_id is not None:
        stmt = stmt.where(ActionItem.owner_id == owner_id)
    if status:
        stmt = stmt.where(ActionItem.status == status)
    return list(db.session.execute(stmt).scalars())


# ---------------------------------------------------------------- coach dashboard


@dataclass
class CoalitionStatus:
    coalition: Coalition
    last_contact: datetime | None
    next_session_on: date | None
    open_items: int
    overdue_items: int
    days_since: int | None = None
    stale: bool = False


@dataclass
class Dashboard:
    rows: list[CoalitionStatus]
    upcoming: list[CoalitionStatus]
    overdue: list[ActionItem]
    stale_days: int
    my_items: list[ActionItem] = field(default_factory=list)

    @property
    def stale_count(self) -> int:
        return sum(1 for r in self.rows if r.stale)


def dashboard(
    viewer: User,
    *,
    today: date,
    now: datetime,
    stale_days: int,
    coalitions: list[Coalition] | None = None,
) -> Dashboard:
    """Last contact, next session and open items of each coalition: five statements."""
    coalitions = coalitions if coalitions is not None else coalitions_for_logging(viewer)
    ids = [c.id for c in coalitions] or [-1]
    latest = (
        sa.select(
            CoachingSession.coalition_id,
            CoachingSession.started_at,
            CoachingSession.next_session_on,
            sa.func.row_number()
            .over(
                partition_by=CoachingSession.coalition_id,
                order_by=(CoachingSession.started_at.desc(), CoachingSession.id.desc()),
            )
            .label("rank"),
        )
        .where(CoachingSession.coalition_id.in_(ids))
        .subquery()
    )
    last = {
        cid: (started, next_on)
        for cid, started, next_on in db.session.execute(
            sa.select(latest.c.coalition_id, latest.c.started_at, latest.c.next_session_on).where(
                latest.c.rank == 1
            )
        ).all()
    }
    overdue_case = sa.case(
        (sa.and_(ActionItem.due_on.is_not(None), ActionItem.due_on < today), 1), else_=0
    )
    counts = {
        cid: (n, overdue)
        for cid, n, overdue in db.session.execute(
            sa.select(ActionItem.coalition_id, sa.func.count(), sa.func.sum(overdue_case))
            .where(ActionItem.coalition_id.in_(ids), ActionItem.status == ItemStatus.OPEN.value)
            .group_by(ActionItem.coalition_id)
        ).all()
    }
    rows = []
    for c in coalitions:
        started, next_on = last.get(c.id, (None, None))
        n, overdue = counts.get(c.id, (0, 0))
        days = (now - started).days if started is not None else None
        rows.append(
            CoalitionStatus(
                c,
                started,
                next_on,
                n,
                int(overdue or 0),
                days,
                stale=days is None or days > stale_days,
            )
        )
    upcoming = sorted(
        (r for r in rows if r.next_session_on and r.next_session_on >= today),
        key=lambda r: (r.next_session_on, r.coalition.name),
    )
    overdue_items = list(
        db.session.execute(
            sa.select(ActionItem)
            .options(*_item_options())
            .where(
                ActionItem.coalition_id.in_(ids),
                ActionItem.status == ItemStatus.OPEN.value,
                ActionItem.due_on < today,
            )
            .order_by(ActionItem.due_on, ActionItem.id)
            .limit(200)
        ).scalars()
    )
    return Dashboard(rows, upcoming, overdue_items, stale_days)


# ---------------------------------------------------------------- analysis and export


def sessions_between(
    viewer: User, start: datetime | None, end: datetime | None, coalition: Coalition | None = None
) -> list[CoachingSession]:
    """Sessions in [start, end) (None: unbounded) in the coalitions the viewer coaches."""
    stmt = (
        sa.select(CoachingSession)
        .options(*_session_options())
        .order_by(CoachingSession.started_at, CoachingSession.id)
    )
    if start is not None:
        stmt = stmt.where(CoachingSession.started_at >= start)
    if end is not None:
        stmt = stmt.where(CoachingSession.started_at < end)
    stmt = _scope(stmt, CoachingSession.coalition_id, staff_coalition_ids(viewer))
    if coalition is not None:
        stmt = stmt.where(CoachingSession.coalition_id == coalition.id)
    return list(db.session.execute(stmt).scalars())


def items_touched_between(
    viewer: User, start: datetime, end: datetime, coalition: Coalition | None = None
) -> list[ActionItem]:
    """Items opened or closed in [start, end)."""
    stmt = sa.select(ActionItem).where(
        sa.or_(
            sa.and_(ActionItem.created_at >= start, ActionItem.created_at < end),
            sa.and_(ActionItem.closed_at >= start, ActionItem.closed_at < end),
        )
    )
    stmt = _scope(stmt, ActionItem.coalition_id, staff_coalition_ids(viewer))
    if coalition is not None:
        stmt = stmt.where(ActionItem.coalition_id == coalition.id)
    return list(db.session.execute(stmt).scalars())
