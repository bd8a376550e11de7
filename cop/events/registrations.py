"""Registration use cases: register and cancel in one click, the automatic waitlist,
approval by the host, attendance.

Seats are taken with one conditional UPDATE of the event's counter
(`registered_count < capacity`), which only one transaction can win for the last seat, on
SQLite and PostgreSQL alike: an event is never overfilled, however many people click at
once. The waitlist is first come, first served (`queued_at`); when a seat frees up the next
person is promoted in the same transaction and notified.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from cop.accounts.models import User
from cop.core import audit
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.models import utcnow
from cop.core.timezones import localtime
from cop.events import reminders
from cop.events.models import (
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from cop.events.permissions import can_manage_event, can_view_event, is_host
from cop.extensions import db
from cop.notifications import services as notifications

REGISTERED = RegistrationStatus.REGISTERED.value
WAITLISTED = RegistrationStatus.WAITLISTED.value
PENDING = RegistrationStatus.PENDING.value
CANCELLED = RegistrationStatus.CANCELLED.value
DECLINED = RegistrationStatus.DECLINED.value
COUNTERS = {REGISTERED: "registered_count", WAITLISTED: "waitlist_count", PENDING: "pending_count"}


# ---------------------------------------------------------------- counters


def _take_seat(event: Event) -> bool:
    """One seat, if there is one left: the check and the count in one statement."""
    taken = db.session.execute(
        sa.update(Event)
        .where(
            Event.id == event.id,
            Event.status == EventStatus.SCHEDULED.value,
            sa.or_(Event.capacity.is_(None), Event.registered_count < Event.capacity),
        )
        .values(registered_count=Event.registered_count + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def _count(event: Event, status: str, delta: int) -> None:
    column = COUNTERS.get(status)
    if column is None:
        return
    db.session.execute(
        sa.update(Event)
        .where(Event.id == event.id)
        .values({column: getattr(Event, column) + delta})
        .execution_options(synchronize_session=False)
    )


def _refresh(event: Event) -> None:
    db.session.expire(event, ["registered_count", "waitlist_count", "pending_count"])


def recount(event: Event) -> dict[str, int]:
    """The counters as the registrations table has them (tests check they agree)."""
    rows = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count())
            .where(Registration.event_id == event.id)
            .group_by(Registration.status)
        ).all()
    )
    return {column: rows.get(status, 0) for status, column in COUNTERS.items()}


def waitlist_position(registration: Registration) -> int | None:
    """1 for the next person to get a seat."""
    if registration.status != WAITLISTED:
        return None
    ahead = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == WAITLISTED,
            sa.or_(
                Registration.queued_at < registration.queued_at,
                sa.and_(
                    Registration.queued_at == registration.queued_at,
                    Registration.id < registration.id,
                ),
            ),
        )
    ).scalar_one()
    return ahead + 1


# ---------------------------------------------------------------- register and cancel


def _registration(event: Event, user: User) -> Registration | None:
    return db.session.execute(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == user.id
        )
    ).scalar_one_or_none()


def check_can_register(actor: User, event: Event, now: datetime) -> Registration | None:
    """Refuse with a clear reason; the existing (inactive) registration, if any."""
    if not can_view_event(actor, event):
        raise NotFound("No such event.")
    if is_host(actor, event):
        raise Conflict("You host this event: hosts do not register.", code="host")
    if event.is_cancelled:
        raise Conflict("This event is cancelled.", code="cancelled")
    if event.has_ended(now):
        raise Conflict("This event is over.", code="ended")
    closes = event.registration_closes_at()
    if now >= closes:
        raise Conflict(
            f"Registration closed on {localtime(closes, actor.timezone)}.",
            code="registration_closed",
        )
    existing = _registration(event, actor)
    if existing is not None and existing.is_active:
        message = {
            REGISTERED: "You are already registered for this event.",
            WAITLISTED: "You are already on this event's waitlist.",
            PENDING: "You already asked to register; the host has not answered yet.",
        }
        raise Conflict(message[existing.status], code="already_registered")
    if existing is not None and existing.status == DECLINED:
        raise Conflict("The host declined your registration for this event.", code="declined")
    return existing


def register(actor: User, event: Event, *, now: datetime | None = None) -> Registration:
    """Register in one click: a seat if there is one, else the waitlist; or, when the host
    approves registrations, a request. Commits."""
    now = now or utcnow()
    existing = check_can_register(actor, event, now)
    if event.requires_approval and not actor.is_admin:
        status = PENDING
        _count(event, PENDING, +1)
    elif _take_seat(event):
        status = REGISTERED
    else:
        status = WAITLISTED
        _count(event, WAITLISTED, +1)
    registration = existing or Registration(event_id=event.id, user_id=actor.id)
    registration.status = status
    registration.queued_at = now
    registration.registered_at = now if status == REGISTERED else None
    registration.cancelled_at = None
    registration.decided_by_id = None
    if existing is None:
        db.session.add(registration)
    try:
        db.session.flush()
    except IntegrityError:  # the same person clicked twice at once: the other click won
        db.session.rollback()
        raise Conflict(
            "You are already registered for this event.", code="already_registered"
        ) from None
    if status == REGISTERED:
        reminders.schedule_for(event, actor, now)
    elif status == PENDING and event.host is not None:
        notifications.notify(
            event.host,
            "event_registration",
            actor=actor,
            subject_type="event",
            subject_id=event.id,
            url=_registrations_path(event),
            text=f"{actor.name} asked to register for “{event.title}”",
        )
    db.session.commit()
    _refresh(event)
    return registration


def cancel_registration(actor: User, event: Event, *, now: datetime | None = None) -> Registration:
    """Give up one's seat (or waitlist place, or request); the next person on the waitlist
    gets the seat and is notified. Commits."""
    now = now or utcnow()
    if not can_view_event(actor, event):
        raise NotFound("No such event.")
    registration = _registration(event, actor)
    if registration is None or not registration.is_active:
        raise Conflict("You are not registered for this event.", code="not_registered")
    if event.has_started(now):
        raise Conflict(
            "The event has started: registrations can no longer be cancelled.", code="started"
        )
    _leave(event, registration, CANCELLED, now)
    db.session.commit()
    _refresh(event)
    return registration


def _leave(event: Event, registration: Registration, status: str, now: datetime) -> None:
    """Take a registration out (cancelled or declined): counters, reminders, promotion."""
    previous = registration.status
    # Conditional, so two cancels of one registration free one seat only.
    changed = db.session.execute(
        sa.update(Registration)
        .where(Registration.id == registration.id, Registration.status == previous)
        .values(status=status, cancelled_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        raise Conflict("This registration changed meanwhile; reload the page.", code="changed")
    db.session.expire(registration, ["status", "cancelled_at", "updated_at"])
    if previous == REGISTERED:
        _count(event, REGISTERED, -1)
        reminders.cancel_for(event, registration.user_id)
        promote(event, now)
    else:
        _count(event, previous, -1)


def promote(event: Event, now: datetime, actor: User | None = None) -> list[Registration]:
    """Give free seats to the waitlist, first come first served; each promoted person is
    notified and gets reminders. Does not commit."""
    promoted: list[Registration] = []
    if event.is_cancelled or event.has_ended(now):
        return promoted
    while True:
        nxt = db.session.execute(
            sa.select(Registration)
            .where(Registration.event_id == event.id, Registration.status == WAITLISTED)
            .order_by(Registration.queued_at, Registration.id)
            .limit(1)
        ).scalar_one_or_none()
        if nxt is None or not _take_seat(event):
            break
        nxt.status, nxt.registered_at = REGISTERED, now
        _count(event, WAITLISTED, -1)
        db.session.flush()
        reminders.schedule_for(event, nxt.user, now)
        notifications.notify(
            nxt.user,
            "waitlist_promoted",
            actor=actor,
            subject_type="event",
            subject_id=event.id,
            url=_event_path(event),
            text=f"A seat opened: you are now registered for “{event.title}”",
        )
        promoted.append(nxt)
    _refresh(event)
    return promoted


def _event_path(event: Event) -> str:
    from cop.events.services import event_path

    return event_path(event)


def _registrations_path(event: Event) -> str:
    from cop.events.services import path_for

    return path_for("events.registrations_page", event_id=event.id)


# ---------------------------------------------------------------- the host's decisions


def _check_manage(actor: User, event: Event) -> None:
    if not can_view_event(actor, event):
        raise NotFound("No such event.")
    if not can_manage_event(actor, event):
        raise PermissionDenied("Only the event's host and admins manage registrations.")


def approve(
    actor: User, registration: Registration, *, now: datetime | None = None
) -> Registration:
    """Accept a request: a seat if there is one, else the waitlist. Commits; notifies."""
    now = now or utcnow()
    event = registration.event
    _check_manage(actor, event)
    if registration.status != PENDING:
        raise Conflict("Only requests waiting for approval can be approved.", code="not_pending")
    if event.is_cancelled or event.has_ended(now):
        raise Conflict("This event is cancelled or over.", code="closed")
    _count(event, PENDING, -1)
    seated = _take_seat(event)
    registration.status = REGISTERED if seated else WAITLISTED
    registration.registered_at = now if seated else None
    registration.decided_by_id = actor.id
    if not seated:
        _count(event, WAITLISTED, +1)
    db.session.flush()
    if seated:
        reminders.schedule_for(event, registration.user, now)
    notifications.notify(
        registration.user,
        "event_registration",
        actor=actor,
        subject_type="event",
        subject_id=event.id,
        url=_event_path(event),
        text=(
            f"You are registered for “{event.title}”"
            if seated
            else f"Your registration for “{event.title}” is approved: you are on the waitlist"
        ),
    )
    audit.record(
        actor, "events.registration_approve", event, user_id=registration.user_id, seated=seated
    )
    db.session.commit()
    _refresh(event)
    return registration


def decline(
    actor: User, registration: Registration, *, now: datetime | None = None
) -> Registration:
    """Refuse a request, or take back a seat or waitlist place. Commits; notifies."""
    now = now or utcnow()
    event = registration.event
    _check_manage(actor, event)
    if not registration.is_active:
        raise Conflict("This registration is not active.", code="not_active")
    _leave(event, registration, DECLINED, now)
    registration.decided_by_id = actor.id
    notifications.notify(
        registration.user,
        "event_registration",
        actor=actor,
        subject_type="event",
        subject_id=event.id,
        url=_event_path(event),
        text=f"The host declined your registration for “{event.title}”",
    )
    audit.record(actor, "events.registration_decline", event, user_id=registration.user_id)
    db.session.commit()
    _refresh(event)
    return registration


# ---------------------------------------------------------------- attendance


def record_visit(
    user: User, event: Event, *, source: str = "live_page", now: datetime | None = None
) -> bool:
    """Note that a registrant with a seat showed up during the event (first time only).
    Commits when it records something."""
    now = now or utcnow()
    if not event.is_live(now):
        return False
    changed = db.session.execute(
        sa.update(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.user_id == user.id,
            Registration.status == REGISTERED,
            Registration.joined_at.is_(None),
        )
        .values(joined_at=now, join_source=source)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed:
        db.session.commit()
    return bool(changed)


def record_chat_attendance(event: Event, author_ids: set[int], now: datetime) -> int:
    """Registrants who wrote in the event's chat attended. Does not commit."""
    if not author_ids:
        return 0
    return db.session.execute(
        sa.update(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.user_id.in_(author_ids),
            Registration.status == REGISTERED,
            Registration.joined_at.is_(None),
        )
        .values(joined_at=now, join_source="chat")
        .execution_options(synchronize_session=False)
    ).rowcount


def set_attendance(
    actor: User, registration: Registration, attended: bool | None, *, now: datetime | None = None
) -> Registration:
    """The host corrects attendance (None: back to what was recorded). Commits."""
    now = now or utcnow()
    event = registration.event
    _check_manage(actor, event)
    if not event.has_started(now):
        raise Conflict("Attendance can be set once the event has started.", code="not_started")
    if registration.status != REGISTERED:
        raise ServiceError("Only people with a seat attend.", code="invalid", field="attended")
    if attended is not None and not isinstance(attended, bool):
        raise ServiceError("attended is true, false or null.", code="invalid", field="attended")
    registration.attended = attended
    registration.attendance_set_by_id = actor.id if attended is not None else None
    audit.record(actor, "events.attendance", event, user_id=registration.user_id, attended=attended)
    db.session.commit()
    return registration
