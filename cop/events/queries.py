"""Read-side selects for the events pages, API and feeds: visibility as SQL, keyset pages,
a constant number of queries whatever the number of events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from cop.accounts.models import User
from cop.coalitions.models import Coalition
from cop.coalitions.permissions import unproxied
from cop.core.models import utcnow
from cop.core.pagination import Page, decode_cursor, encode_cursor
from cop.events.models import (
    ACTIVE_STATUSES,
    Event,
    EventInvite,
    EventSector,
    Registration,
    RegistrationStatus,
    event_coalitions,
)
from cop.events.permissions import can_view_event, visible_condition
from cop.extensions import db

PAGE_SIZE = 25
RANGE_MAX = 500
FEED_PAST_DAYS = 180


@dataclass
class Filters:
    type: str = ""
    sector: str = ""
    coalition: str = ""  # a slug
    mine: bool = False
    start: datetime | None = None  # events ending after this
    end: datetime | None = None  # events starting before this

    @property
    def active(self) -> bool:
        return bool(self.type or self.sector or self.coalition or self.mine)


def _filtered(user: User, filters: Filters):
    stmt = sa.select(Event).where(visible_condition(user)).options(selectinload(Event.series))
    if filters.type:
        stmt = stmt.where(Event.type == filters.type)
    if filters.sector:
        stmt = stmt.where(
            Event.id.in_(
                sa.select(EventSector.event_id).where(EventSector.sector == filters.sector)
            )
        )
    if filters.coalition:
        stmt = stmt.where(
            Event.id.in_(
                sa.select(event_coalitions.c.event_id)
                .join(Coalition, Coalition.id == event_coalitions.c.coalition_id)
                .where(Coalition.slug == filters.coalition)
            )
        )
    if filters.mine:
        stmt = stmt.where(
            sa.or_(
                Event.host_id == user.id,
                Event.id.in_(
                    sa.select(Registration.event_id).where(
                        Registration.user_id == user.id, Registration.status.in_(ACTIVE_STATUSES)
                    )
                ),
            )
        )
    if filters.start is not None:
        stmt = stmt.where(Event.ends_at > filters.start)
    if filters.end is not None:
        stmt = stmt.where(Event.starts_at < filters.end)
    return stmt


def upcoming_page(
    user: User,
    filters: Filters,
    *,
    after: str | None = None,
    now: datetime | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """Events not over yet, soonest first (keyset on starts_at, id)."""
    now = now or utcnow()
    # No event lasts longer than MAX_DURATION: the bound lets the (starts_at, id) index
    # start near now instead of walking every past event (flat as the years add up).
    from cop.events.services import MAX_DURATION

    stmt = _filtered(user, filters).where(Event.ends_at > now, Event.starts_at > now - MAX_DURATION)
    cursor = decode_cursor(after)
    if cursor and len(cursor) == 2:
        try:
            at, last_id = datetime.fromisoformat(cursor[0]), int(cursor[1])
        except (TypeError, ValueError):
            at = None
        if at is not None and at.tzinfo is not None:
            stmt = stmt.where(
                sa.or_(Event.starts_at > at, sa.and_(Event.starts_at == at, Event.id > last_id))
            )
    rows = list(
        db.session.execute(stmt.order_by(Event.starts_at, Event.id).limit(limit + 1)).scalars()
    )
    return _page(rows, limit)


def past_page(
    user: User,
    filters: Filters,
    *,
    after: str | None = None,
    now: datetime | None = None,
    limit: int = PAGE_SIZE,
) -> Page:
    """Events that are over, latest first."""
    now = now or utcnow()
    # An event that is over has started: the bound skips the future in the index walk.
    stmt = _filtered(user, filters).where(Event.ends_at <= now, Event.starts_at < now)
    cursor = decode_cursor(after)
    if cursor and len(cursor) == 2:
        try:
            at, last_id = datetime.fromisoformat(cursor[0]), int(cursor[1])
        except (TypeError, ValueError):
            at = None
        if at is not None and at.tzinfo is not None:
            stmt = stmt.where(
                sa.or_(Event.starts_at < at, sa.and_(Event.starts_at == at, Event.id < last_id))
            )
    rows = list(
        db.session.execute(
            stmt.order_by(Event.starts_at.desc(), Event.id.desc()).limit(limit + 1)
        ).scalars()
    )
    return _page(rows, limit)


def _page(rows: list[Event], limit: int) -> Page:
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor([rows[-1].starts_at.isoformat(), rows[-1].id]) if more else None
    return Page(rows, cursor)


def in_range(user: User, filters: Filters, start: datetime, end: datetime) -> list[Event]:
    """Events overlapping [start, end), for the month view (bounded)."""
    stmt = _filtered(user, filters).where(Event.starts_at < end, Event.ends_at > start)
    return list(
        db.session.execute(stmt.order_by(Event.starts_at, Event.id).limit(RANGE_MAX)).scalars()
    )


def registrations_by_event(user: User, event_ids: list[int]) -> dict[int, Registration]:
    """The user's registration of each listed event (one query)."""
    if not event_ids:
        return {}
    return {
        r.event_id: r
        for r in db.session.execute(
            sa.select(Registration).where(
                Registration.user_id == user.id, Registration.event_id.in_(event_ids)
            )
        ).scalars()
    }


def registrations_of(event: Event) -> list[Registration]:
    """Everyone who registered, seats first, then the waitlist in order, then requests."""
    order = sa.case(
        {
            RegistrationStatus.REGISTERED.value: 0,
            RegistrationStatus.WAITLISTED.value: 1,
            RegistrationStatus.PENDING.value: 2,
            RegistrationStatus.DECLINED.value: 3,
        },
        value=Registration.status,
        else_=4,
    )
    return list(
        db.session.execute(
            sa.select(Registration)
            .where(Registration.event_id == event.id)
            .order_by(order, Registration.queued_at, Registration.id)
        ).scalars()
    )


def invites_of(event: Event) -> list[EventInvite]:
    return list(
        db.session.execute(
            sa.select(EventInvite)
            .where(EventInvite.event_id == event.id)
            .order_by(EventInvite.created_at)
        ).scalars()
    )


def feed_events(user: User, now: datetime | None = None) -> list[Event]:
    """What a personal feed lists: every event the user has a seat at (cancelled events
    included, so calendars learn they are cancelled), from six months back."""
    now = now or utcnow()
    rows = (
        db.session.execute(
            sa.select(Event)
            .join(Registration, Registration.event_id == Event.id)
            .where(
                Registration.user_id == user.id,
                Registration.status == RegistrationStatus.REGISTERED.value,
                Event.ends_at > now - timedelta(days=FEED_PAST_DAYS),
            )
            .order_by(Event.starts_at, Event.id)
            .limit(RANGE_MAX)
        )
        .scalars()
        .all()
    )
    # A registrant who lost access (left the coalition) no longer gets the event.
    user = unproxied(user)
    return [e for e in rows if can_view_event(user, e)]


def series_events(user: User, event: Event) -> list[Event]:
    """The sessions of the event's series that the user may see."""
    if event.series_id is None:
        return [event]
    return list(
        db.session.execute(
            sa.select(Event)
            .where(Event.series_id == event.series_id, visible_condition(user))
            .order_by(Event.starts_at, Event.id)
            .limit(RANGE_MAX)
        ).scalars()
    )


def coalition_choices() -> list[tuple[int, str, str]]:
    """(id, slug, name) of every coalition, for forms and filters."""
    return list(
        db.session.execute(
            sa.select(Coalition.id, Coalition.slug, Coalition.name).order_by(Coalition.name)
        ).all()
    )


def speaker_candidates() -> list[User]:
    """Experts and program staff, for the speakers checkboxes of the form."""
    return list(
        db.session.execute(
            sa.select(User)
            .where(User.active.is_(True), User.role.in_(("expert", "admin", "coach")))
            .order_by(User.role.desc(), User.name)
        ).scalars()
    )


def host_candidates() -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .where(User.active.is_(True), User.role.in_(("admin", "coach")))
            .order_by(User.name)
        ).scalars()
    )
