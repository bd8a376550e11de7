"""Reminders through the notifications service: 24 hours and 1 hour before the start, once
each, by email with the .ics attached; changes and cancellations told at once."""

from __future__ import annotations

from datetime import timedelta

import icalendar
import sqlalchemy as sa

from cop.events import registrations, services
from cop.notifications.jobs import run_once
from cop.notifications.models import Notification, ScheduledNotification
from cop.notifications.services import update_preferences
from tests.events.conftest import make_event, register


def _ics_parts(msg) -> list:
    return [part for part in msg.iter_attachments() if part.get_content_type() == "text/calendar"]


def test_reminders_go_out_once_at_24_hours_and_1_hour(app, world, db, smtp_server):
    event = make_event(world["coach"], title="Broadband apprenticeship webinar")
    member = world["member"]
    register(member, event)
    start = event.starts_at
    address = member.email

    run_once(app, now=start - timedelta(hours=25))
    assert smtp_server.to(address) == [], "nothing before its time"

    result = run_once(app, now=start - timedelta(hours=24))
    assert result["reminders"] == 1
    (first,) = smtp_server.to(address)
    assert "starts in 24 hours" in first["Subject"]
    run_once(app, now=start - timedelta(hours=23))
    run_once(app, now=start - timedelta(hours=2))
    assert len(smtp_server.to(address)) == 1, "once"

    run_once(app, now=start - timedelta(hours=1))
    run_once(app, now=start - timedelta(minutes=30))
    run_once(app, now=start + timedelta(minutes=5))
    messages = smtp_server.to(address)
    assert len(messages) == 2
    assert "starts in an hour" in messages[1]["Subject"]
    # Each reminder carries the event's .ics.
    for msg in messages:
        (part,) = _ics_parts(msg)
        assert part.get_filename() == f"event-{event.id}.ics"
        (vevent,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
        assert str(vevent["UID"]) == event.uid
        assert vevent.decoded("DTSTART") == start
    notes = (
        db.session.execute(
            sa.select(Notification).where(
                Notification.user_id == member.id, Notification.kind == "event_reminder"
            )
        )
        .scalars()
        .all()
    )
    assert len(notes) == 2 and all(n.url == f"/events/{event.id}" for n in notes)


def test_reminders_follow_the_event_when_it_moves(app, world, db, smtp_server):
    event = make_event(world["coach"])
    register(world["member"], event)
    old_start = event.starts_at
    new_start = old_start + timedelta(days=1)
    services.update_event(
        world["coach"], event, {"starts_at": new_start, "ends_at": new_start + timedelta(hours=1)}
    )
    run_once(app, now=old_start - timedelta(hours=1))
    assert smtp_server.to(world["member"].email) == [], "the old times are gone"
    run_once(app, now=new_start - timedelta(hours=24))
    assert len(smtp_server.to(world["member"].email)) == 1


def test_no_reminders_for_cancelled_registrations_or_events(app, world, people, db, smtp_server):
    event = make_event(world["coach"])
    register(people[0], event)
    register(people[1], event)
    registrations.cancel_registration(people[0], event)
    other = make_event(world["coach"], title="Cancelled later")
    register(people[2], other)
    services.cancel_event(world["coach"], other)
    run_once(app, now=event.starts_at - timedelta(hours=1))
    run_once(app, now=other.starts_at - timedelta(hours=1))
    assert smtp_server.to(people[0].email) == []
    assert smtp_server.to(people[2].email) == [], "no reminder, and the notice is in-app only"
    assert len(smtp_server.to(people[1].email)) == 2
    statuses = dict(
        db.session.execute(sa.select(ScheduledNotification.key, ScheduledNotification.status)).all()
    )
    assert {s for k, s in statuses.items() if f"user:{people[0].id}:" in k} == {"cancelled"}


def test_registering_late_skips_the_reminders_already_due(app, world, db):
    event = make_event(world["coach"])
    register(world["member"], event, now=event.starts_at - timedelta(hours=3))
    keys = db.session.execute(sa.select(ScheduledNotification.key)).scalars().all()
    assert keys == [f"event:{event.id}:reminder:user:{world['member'].id}:60m"]


def test_changes_and_cancellations_are_emailed_at_once_with_the_new_ics(
    app, world, db, smtp_server
):
    member = world["member"]
    update_preferences(member, member, deliveries={"event_changed": "email"})
    event = make_event(world["coach"])
    register(member, event)
    services.update_event(world["coach"], event, {"location": "Hall B"})
    smtp_server.deliver()
    (changed,) = smtp_server.to(member.email)
    assert "changed: new location" in changed["Subject"]
    (part,) = _ics_parts(changed)
    (vevent,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert str(vevent["LOCATION"]) == "Hall B" and vevent["SEQUENCE"] == 1
    services.cancel_event(world["coach"], event, reason="Snow")
    smtp_server.deliver()
    cancelled = smtp_server.to(member.email)[-1]
    assert "is cancelled: Snow" in cancelled["Subject"]
    (part,) = _ics_parts(cancelled)
    (vevent,) = icalendar.Calendar.from_ical(part.get_content()).walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED" and vevent["SEQUENCE"] == 2


def test_the_promoted_person_is_told(app, world, people, db):
    event = make_event(world["coach"], capacity=1)
    register(people[0], event)
    register(people[1], event)
    registrations.cancel_registration(people[0], event)
    (note,) = (
        db.session.execute(sa.select(Notification).where(Notification.user_id == people[1].id))
        .scalars()
        .all()
    )
    assert note.kind == "waitlist_promoted" and "you are now registered" in note.text
