"""Who may see and do what with events. Used by views, API, ICS feeds, the chat room rules,
notifications and templates: one rule, written once.

- admins and coaches (program staff) see every event; they create events and host them;
- an event for "everyone" is seen by every signed-in community member except guests;
- an event for chosen coalitions: those coalitions' members (and staff);
- a staff-only event: admins and coaches;
- whatever the audience, the host, the speakers with an account and the people invited
  (guests are invited to single events) see it;
- the host and admins manage it: edit, cancel, the registration list, attendance, pins.

Anything else is a 404, so ids reveal nothing. `visible_condition(user)` is the same rule as
SQL, for list pages and feeds (tests check the two agree).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort

from cop.accounts.models import Role, User
from cop.coalitions.permissions import is_active_user as _active
from cop.coalitions.permissions import memberships_of
from cop.core.models import utcnow
from cop.events.models import (
    Audience,
    Event,
    EventInvite,
    EventSpeaker,
    Registration,
    RegistrationStatus,
    event_coalitions,
)
from cop.extensions import db


def can_use_events(user: User | None) -> bool:
    """The "Events" navigation entry: everyone signed in (guests see their invitations)."""
    return _active(user)


def can_create_events(user: User | None) -> bool:
    """Admins and coaches host events; experts are speakers."""
    return _active(user) and user.role in (Role.ADMIN, Role.COACH)


def is_host(user: User | None, event: Event) -> bool:
    return _active(user) and event.host_id == user.id


def is_speaker(user: User | None, event: Event) -> bool:
    return _active(user) and any(s.user_id == user.id for s in event.speakers)


def _invited_ids(user: User) -> set[int]:
    cache = getattr(user, "_event_invite_cache", None)
    if cache is None:
        cache = set(
            db.session.execute(
                sa.select(EventInvite.event_id).where(EventInvite.user_id == user.id)
            ).scalars()
        )
        user._event_invite_cache = cache
    return cache


def forget_cached_invites(user: User) -> None:
    if hasattr(user, "_event_invite_cache"):
        delattr(user, "_event_invite_cache")


def is_invited(user: User | None, event: Event) -> bool:
    return _active(user) and event.id in _invited_ids(user)


def in_audience(user: User | None, event: Event) -> bool:
    """The audience rule alone (no invitations, no host or speaker exceptions)."""
    if not _active(user):
        return False
    if user.is_staff:
        return True
    if user.role == Role.GUEST:
        return False
    if event.audience == Audience.EVERYONE:
        return True
    if event.audience == Audience.COALITIONS:
        mine = memberships_of(user)
        return any(c.id in mine for c in event.coalitions)
    return False


def can_view_event(user: User | None, event: Event | None) -> bool:
    if event is None or not _active(user):
        return False
    return (
        in_audience(user, event)
        or is_host(user, event)
        or is_speaker(user, event)
        or is_invited(user, event)
    )


def can_manage_event(user: User | None, event: Event) -> bool:
    """Edit, cancel, see and export registrations, correct attendance, pin and mark."""
    return _active(user) and (user.is_admin or event.host_id == user.id)


def can_view_registrations(user: User | None, event: Event) -> bool:
    return can_manage_event(user, event)


def registration_of(user: User | None, event: Event) -> Registration | None:
    if not _active(user):
        return None
    return db.session.execute(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.user_id == user.id
        )
    ).scalar_one_or_none()


def has_seat(user: User | None, event: Event) -> bool:
    registration = registration_of(user, event)
    return registration is not None and registration.has_seat


def is_participant(user: User | None, event: Event) -> bool:
    """May take part in the live event: a registrant with a seat, the host, a speaker, an
    admin. (Seeing the event is checked too: someone who lost access loses the seat's use.)"""
    if not can_view_event(user, event):
        return False
    return user.is_admin or is_host(user, event) or is_speaker(user, event) or has_seat(user, event)


def can_register(user: User | None, event: Event) -> bool:
    """Offer the Register button (the service gives the reasons when it refuses)."""
    return (
        can_view_event(user, event)
        and not is_host(user, event)
        and not event.is_cancelled
        and not event.has_ended()
    )


def can_enter_live(user: User | None, event: Event, now: datetime | None = None) -> bool:
    """The live page opens to participants `join_opens_minutes` before the start."""
    now = now or utcnow()
    return event.is_live(now) and is_participant(user, event)


def can_see_join_link(user: User | None, event: Event, now: datetime | None = None) -> bool:
    return bool(event.join_url) and can_enter_live(user, event, now)  # cheap checks first


def can_mark_messages(user: User | None, event: Event) -> bool:
    """Pin messages and mark questions for the speakers: the host (and admins)."""
    return can_manage_event(user, event)


def can_close_chat(user: User | None, event: Event, now: datetime | None = None) -> bool:
    return can_manage_event(user, event) and event.has_started(now)


# ---------------------------------------------------------------- the same rule, as SQL


def visible_condition(user: User):
    """A WHERE clause: the events `user` may see (the SQL twin of `can_view_event`)."""
    if not _active(user):
        return sa.false()
    if user.is_staff:
        return sa.true()
    own = sa.or_(
        Event.host_id == user.id,
        Event.id.in_(sa.select(EventSpeaker.event_id).where(EventSpeaker.user_id == user.id)),
        Event.id.in_(sa.select(EventInvite.event_id).where(EventInvite.user_id == user.id)),
    )
    if user.role == Role.GUEST:
        return own
    coalition_ids = list(memberships_of(user))
    audience = [Event.audience == Audience.EVERYONE.value]
    if coalition_ids:
        audience.append(
            sa.and_(
                Event.audience == Audience.COALITIONS.value,
                Event.id.in_(
                    sa.select(event_coalitions.c.event_id).where(
                        event_coalitions.c.coalition_id.in_(coalition_ids)
                    )
                ),
            )
        )
    return sa.or_(own, *audience)


def seat_holder_ids(event_ids: list[int]) -> dict[int, set[int]]:
    """event id -> user ids with a seat (one query)."""
    found: dict[int, set[int]] = {i: set() for i in event_ids}
    if not event_ids:
        return found
    for event_id, user_id in db.session.execute(
        sa.select(Registration.event_id, Registration.user_id).where(
            Registration.event_id.in_(event_ids),
            Registration.status == RegistrationStatus.REGISTERED.value,
        )
    ):
        found[event_id].add(user_id)
    return found


# ---------------------------------------------------------------- loaders that 404


def get_event_or_404(user: User | None, event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    if event is None or not can_view_event(user, event):
        abort(404)
    return event


def get_managed_event_or_404(user: User | None, event_id: int) -> Event:
    """For host-only pages: 404 for who may not see the event, 403 for who may see it but
    not manage it (as the rest of cop does)."""
    event = get_event_or_404(user, event_id)
    if not can_manage_event(user, event):
        abort(403, description="Only the event's host and admins can do this.")
    return event


def get_registration_or_404(user: User | None, event: Event, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if (
        registration is None
        or registration.event_id != event.id
        or not can_view_registrations(user, event)
    ):
        abort(404)
    return registration


TEMPLATE_PREDICATES = {
    "can_use_events": can_use_events,
    "can_create_events": can_create_events,
    "can_view_event": can_view_event,
    "can_manage_event": can_manage_event,
    "can_register_for_event": can_register,
    "can_enter_live": can_enter_live,
    "can_see_join_link": can_see_join_link,
    "can_mark_messages": can_mark_messages,
    "can_close_chat": can_close_chat,
    "is_event_participant": is_participant,
}
