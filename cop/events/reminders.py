"""Reminders and notices through the notifications service (docs/notifications.md).

- Reminders: `schedule()` per registrant with a seat, by default 24 hours and 1 hour before
  the start (EVENTS_REMINDER_MINUTES), keyed "event:<id>:reminder:user:<uid>:<n>m": moving
  the event schedules the same keys again (they move); cancelling a registration or the
  event withdraws them by key prefix. The job runner sends each once.
- Changes and cancellations: `notify_many` at once, to everyone with an active registration.
- The emails of these kinds carry the event's .ics (an attachment provider registered with
  the notifications emails), so the recipient's calendar follows the change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from cop.accounts.models import User
from cop.core.timezones import localtime
from cop.events.models import ACTIVE_STATUSES, Event, Registration, RegistrationStatus
from cop.extensions import db
from cop.notifications import services as notifications

DEFAULT_REMINDER_MINUTES = (24 * 60, 60)
# Kinds whose emails get the event's .ics attached.
ICS_KINDS = (
    "event_reminder",
    "event_changed",
    "waitlist_promoted",
    "event_registration",
    "event_invitation",
)


def reminder_minutes() -> tuple[int, ...]:
    return tuple(current_app.config.get("EVENTS_REMINDER_MINUTES", DEFAULT_REMINDER_MINUTES))


def _key_prefix(event: Event, user_id: int) -> str:
    return f"event:{event.id}:reminder:user:{user_id}:"


def _ahead(minutes: int) -> str:
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "in 24 hours" if days == 1 else f"in {days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "in an hour" if hours == 1 else f"in {hours} hours"
    return f"in {minutes} minutes"


def _event_path(event: Event) -> str:
    from cop.events.services import event_path

    return event_path(event)


def schedule_for(event: Event, user: User, now: datetime) -> None:
    """(Re)schedule the user's reminders of this event. Does not commit."""
    for minutes in reminder_minutes():
        key = f"{_key_prefix(event, user.id)}{minutes}m"
        at = event.starts_at - timedelta(minutes=minutes)
        if at <= now:
            notifications.cancel_scheduled(key=key)  # too late for this one: no stale copy
            continue
        notifications.schedule(
            user,
            "event_reminder",
            at=at,
            key=key,
            expires_at=event.starts_at,
            subject_type="event",
            subject_id=event.id,
            url=_event_path(event),
            text=f"“{event.title}” starts {_ahead(minutes)}: "
            f"{localtime(event.starts_at, user.timezone)}",
            context=[("event", event.id)],
        )


def cancel_for(event: Event, user_id: int) -> None:
    notifications.cancel_scheduled(prefix=_key_prefix(event, user_id))


def cancel_event_reminders(event: Event) -> None:
    notifications.cancel_scheduled(prefix=f"event:{event.id}:")


def reschedule_event(event: Event, now: datetime) -> None:
    """The event moved: every seat holder's reminders move with it. Does not commit."""
    holders = (
        db.session.execute(
            sa.select(User)
            .join(Registration, Registration.user_id == User.id)
            .where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.REGISTERED.value,
            )
        )
        .scalars()
        .all()
    )
    for user in holders:
        schedule_for(event, user, now)


def active_registrants(event: Event) -> list[User]:
    return list(
        db.session.execute(
            sa.select(User)
            .join(Registration, Registration.user_id == User.id)
            .where(Registration.event_id == event.id, Registration.status.in_(ACTIVE_STATUSES))
        ).scalars()
    )


def notify_changed(actor: User | None, event: Event, text: str) -> None:
    """Tell everyone registered (seat, waitlist, awaiting approval) at once. No commit."""
    notifications.notify_many(
        active_registrants(event),
        "event_changed",
        actor=actor,
        subject_type="event",
        subject_id=event.id,
        url=_event_path(event),
        text=text,
        context=[("event", event.id)],
    )


# ---------------------------------------------------------------- the .ics in the emails


def ics_attachment(notification, recipient: User) -> list[dict] | None:
    """The event's .ics for an email about it (registered with notifications' emails)."""
    if notification.subject_type != "event" or notification.subject_id is None:
        return None
    from cop.events import ics
    from cop.events.permissions import can_view_event
    from cop.events.services import absolute_url

    event = db.session.get(Event, notification.subject_id)
    if event is None or not can_view_event(recipient, event):
        return None
    cal = ics.calendar(
        [
            (
                event,
                absolute_url("events.detail", event_id=event.id),
                absolute_url("events.live_page", event_id=event.id),
            )
        ]
    )
    return [
        {
            "filename": f"event-{event.id}.ics",
            "content_type": "text/calendar",
            "content": cal.to_ical().decode("utf-8"),
            "params": {"method": "PUBLISH"},
        }
    ]


def register_attachments() -> None:
    from cop.notifications.emails import register_attachments as register

    for kind in ICS_KINDS:
        register(kind, ics_attachment)
