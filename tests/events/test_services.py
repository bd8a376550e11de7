"""Creating, editing and cancelling events and series through the services: the checks,
nothing half-saved, and what registrants are told."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from cop.core.audit import AuditEvent
from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.models import utcnow
from cop.events import registrations, services
from cop.events.models import Event, EventSeries, Registration
from cop.notifications.models import Notification, ScheduledNotification
from tests.events.conftest import EASTERN, event_values, make_event, register


def count(db, model) -> int:
    db.session.rollback()
    return db.session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def event_audits(db) -> list[str]:
    return (
        db.session.execute(
            sa.select(AuditEvent.action)
            .where(AuditEvent.action.startswith("events."))
            .order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )


def test_a_coach_creates_an_event_stored_in_utc_with_the_organizers_zone(world, db):
    start = (utcnow() + timedelta(days=10)).astimezone(ZoneInfo("America/Chicago"))
    naive = datetime(start.year, start.month, start.day, 9, 30)
    event = services.create_event(
        world["coach"],
        event_values(
            timezone="America/Chicago",
            starts_at=naive,
            ends_at=naive + timedelta(minutes=90),
            sectors=["broadband"],
            speaker_ids=[world["expert"].id],
            other_speakers=["Ada Lovelace, Analytical Engines (demo)"],
        ),
    )
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.timezone == "America/Chicago"
    assert event.starts_at.tzinfo is not None
    assert event.starts_at.astimezone(ZoneInfo("America/Chicago")).hour == 9
    assert event.ends_at - event.starts_at == timedelta(minutes=90)
    assert event.host_id == world["coach"].id
    assert "<strong>mentor ratios</strong>" in event.description_html
    assert [(s.user_id, s.name) for s in event.speakers] == [
        (world["expert"].id, world["expert"].name),
        (None, "Ada Lovelace"),
    ]
    assert event.speakers[1].organization == "Analytical Engines (demo)"
    assert event.sectors == ["broadband"] and event.uid.startswith("event-")
    assert event_audits(db) == ["events.create"]


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        ({"title": "  "}, "title", "title is required"),
        ({"type": "party"}, "type", "type of event"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Unknown time zone"),
        ({"timezone": "EST5EDT-nope"}, "timezone", "Unknown time zone"),
        ({"ends_at": "start"}, "ends_at", "end must be after the start"),
        ({"ends_at": "before"}, "ends_at", "end must be after the start"),
        ({"starts_at": "past"}, "starts_at", "start is in the past"),
        ({"ends_at": "far"}, "ends_at", "at most 14 days"),
        ({"join_url": "javascript:alert(1)"}, "join_url", "web address"),
        ({"join_url": "meet.example.org/x"}, "join_url", "web address"),
        ({"capacity": 0}, "capacity", "capacity is a number of seats"),
        ({"audience": "coalitions"}, "coalition_ids", "at least one coalition"),
        ({"audience": "martians"}, "audience", "Choose the audience"),
        ({"sectors": ["space"]}, "sectors", "sectors"),
        ({"registration_deadline": "after_end"}, "registration_deadline", "before the end"),
        ({"registration_deadline": "past"}, "registration_deadline", "in the past"),
        ({"join_opens_minutes": -5}, "join_opens_minutes", "minutes before the start"),
        ({"rrule": "FREQ=SOMETIMES"}, "rrule", "FREQ=SOMETIMES is not supported"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20000101"}, "rrule", "no session"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_saved(world, db, overrides, field, says):
    values = event_values()
    start = values["starts_at"]
    special = {
        "start": start,
        "before": start - timedelta(minutes=1),
        "past": utcnow() - timedelta(minutes=5),
        "far": start + timedelta(days=15),
        "after_end": values["ends_at"] + timedelta(minutes=1),
    }
    values.update({k: special.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()})
    with pytest.raises(ServiceError) as caught:
        services.create_event(world["coach"], values)
    assert caught.value.field == field
    assert says in caught.value.message
    assert caught.value.status == 400
    assert count(db, Event) == 0 and count(db, EventSeries) == 0 and event_audits(db) == []


def test_a_wall_clock_time_that_does_not_exist_is_refused(world):
    # 2:30 AM on the second Sunday of March does not exist in New York.
    year = utcnow().year + 1
    day = next(d for d in range(8, 15) if datetime(year, 3, d).weekday() == 6)
    start = datetime(year, 3, day, 2, 30)
    with pytest.raises(ServiceError, match="does not exist in America/New_York"):
        services.create_event(
            world["coach"], event_values(starts_at=start, ends_at=start + timedelta(hours=1))
        )


def test_only_admins_and_coaches_create_events(world):
    for key in ("member", "lead", "expert", "guest"):
        with pytest.raises(PermissionDenied):
            services.create_event(world[key], event_values())


def test_only_admins_choose_another_host(world):
    with pytest.raises(ServiceError, match="Only admins choose another host"):
        services.create_event(world["coach"], event_values(host_id=world["other_coach"].id))
    event = services.create_event(world["admin"], event_values(host_id=world["coach"].id))
    assert event.host_id == world["coach"].id
    with pytest.raises(ServiceError, match="host must be an active admin or coach"):
        services.create_event(world["admin"], event_values(host_id=world["member"].id))


def test_capacity_below_current_registrations_is_refused(world, people, db):
    event = make_event(world["coach"], capacity=5)
    for person in people[:4]:
        register(person, event)
    with pytest.raises(ServiceError, match="4 people already have a seat") as caught:
        services.update_event(world["coach"], event, {"capacity": 3, "title": "New title"})
    assert caught.value.field == "capacity"
    db.session.rollback()
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.capacity == 5 and event.title != "New title", "nothing half-saved"
    services.update_event(world["coach"], event, {"capacity": 4})
    assert event.capacity == 4


def test_raising_the_capacity_promotes_the_waitlist(world, people, db):
    event = make_event(world["coach"], capacity=1)
    register(people[0], event)
    waiting = register(people[1], event)
    assert waiting.status == "waitlisted"
    services.update_event(world["coach"], event, {"capacity": 2})
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).status == "registered"
    note = db.session.execute(
        sa.select(Notification).where(Notification.user_id == people[1].id)
    ).scalar_one()
    assert note.kind == "waitlist_promoted"


def test_moving_an_event_notifies_registrants_and_moves_reminders(world, people, db):
    event = make_event(world["coach"])
    register(people[0], event)
    register(people[1], event)
    new_start = event.starts_at + timedelta(hours=3)
    services.update_event(
        world["coach"], event, {"starts_at": new_start, "ends_at": new_start + timedelta(hours=1)}
    )
    notes = (
        db.session.execute(sa.select(Notification).where(Notification.kind == "event_changed"))
        .scalars()
        .all()
    )
    assert {n.user_id for n in notes} == {people[0].id, people[1].id}
    assert all("new time" in n.text and "(now " in n.text for n in notes)
    reminders = (
        db.session.execute(
            sa.select(ScheduledNotification).where(ScheduledNotification.user_id == people[0].id)
        )
        .scalars()
        .all()
    )
    assert sorted(r.due_at for r in reminders) == [
        new_start - timedelta(hours=24),
        new_start - timedelta(hours=1),
    ]
    assert event.sequence == 1


def test_a_description_change_bumps_the_sequence_but_tells_nobody(world, people, db):
    event = make_event(world["coach"])
    register(people[0], event)
    services.update_event(world["coach"], event, {"description": "More detail."})
    assert event.sequence == 1
    assert count(db, Notification) == 0


def test_an_event_cannot_be_moved_into_the_past(world):
    event = make_event(world["coach"])
    past = utcnow() - timedelta(hours=1)
    with pytest.raises(ServiceError, match="cannot be moved to a time in the past"):
        services.update_event(
            world["coach"], event, {"starts_at": past, "ends_at": past + timedelta(hours=2)}
        )


def test_only_the_host_and_admins_edit_and_cancel(world):
    event = make_event(world["coach"])
    for key in ("other_coach", "member", "expert"):
        with pytest.raises(PermissionDenied):
            services.update_event(world[key], event, {"title": "Mine now"})
        with pytest.raises(PermissionDenied):
            services.cancel_event(world[key], event)
    staff = make_event(world["coach"], audience="staff")
    with pytest.raises(NotFound):
        services.update_event(world["member"], staff, {"title": "x"})
    services.update_event(world["admin"], event, {"title": "Renamed by an admin"})
    assert event.title == "Renamed by an admin"


def test_cancelling_tells_registrants_withdraws_reminders_and_keeps_registrations(
    world, people, db
):
    event = make_event(world["coach"], capacity=1)
    register(people[0], event)
    register(people[1], event)  # waitlisted: told too
    services.cancel_event(world["coach"], event, reason="Speaker ill")
    assert event.is_cancelled and event.sequence == 1 and event.cancel_reason == "Speaker ill"
    texts = db.session.execute(
        sa.select(Notification.user_id, Notification.text).where(
            Notification.kind == "event_changed"
        )
    ).all()
    assert {uid for uid, _ in texts} == {people[0].id, people[1].id}
    assert all("is cancelled: Speaker ill" in text for _, text in texts)
    statuses = db.session.execute(sa.select(ScheduledNotification.status)).scalars().all()
    assert statuses and set(statuses) == {"cancelled"}
    assert count(db, Registration) == 2
    with pytest.raises(Conflict, match="already cancelled"):
        services.cancel_event(world["coach"], event)
    with pytest.raises(Conflict, match="cancelled event cannot be changed"):
        services.update_event(world["coach"], event, {"title": "x"})


# ---------------------------------------------------------------- series


def test_a_weekly_series_creates_its_sessions(world, db):
    first = make_event(world["coach"], rrule="FREQ=WEEKLY;COUNT=6", type="office_hours")
    series = first.series
    assert series.rrule == "FREQ=WEEKLY;COUNT=6" and series.complete
    sessions = series.occurrences
    assert len(sessions) == 6 and sessions[0].id == first.id
    tz = ZoneInfo(EASTERN)
    assert len({s.starts_at.astimezone(tz).time() for s in sessions}) == 1, "same wall clock"
    assert all(s.recurrence_id == s.starts_at for s in sessions)
    assert len({s.uid for s in sessions}) == 6


def test_an_open_ended_series_is_created_a_year_ahead_and_extended_later(world, db):
    first = make_event(world["coach"], rrule="FREQ=MONTHLY", type="office_hours")
    series = first.series
    before = len(series.occurrences)
    assert not series.complete and before in (12, 13)
    later = utcnow() + timedelta(days=100)
    created = services.extend_series(later)
    assert 3 <= created <= 4
    assert services.extend_series(later) == 0, "idempotent"
    db.session.expire_all()
    sessions = db.session.get(EventSeries, series.id).occurrences
    assert len(sessions) == before + created
    assert len({s.recurrence_id for s in sessions}) == len(sessions)
    assert {s.title for s in sessions} == {first.title}


def test_editing_one_session_leaves_the_others(world, db):
    first = make_event(world["coach"], rrule="FREQ=WEEKLY;COUNT=4")
    second = first.series.occurrences[1]
    services.update_event(
        world["coach"], second, {"title": "Special session", "location": "Room 9"}, scope="one"
    )
    db.session.expire_all()
    titles = [e.title for e in db.session.get(EventSeries, first.series_id).occurrences]
    assert titles[1] == "Special session" and titles.count("Special session") == 1
    assert db.session.get(Event, second.id).detached


def test_editing_the_series_changes_every_later_session_keeping_their_dates(world, db):
    first = make_event(world["coach"], rrule="FREQ=WEEKLY;COUNT=4")
    tz = ZoneInfo(EASTERN)
    sessions = first.series.occurrences
    dates = [s.starts_at.astimezone(tz).date() for s in sessions]
    local = sessions[1].starts_at.astimezone(tz).replace(tzinfo=None) + timedelta(hours=2)
    services.update_event(
        world["coach"],
        sessions[1],
        {
            "title": "Office hours (new time)",
            "starts_at": local,
            "ends_at": local + timedelta(minutes=30),
        },
        scope="series",
    )
    db.session.expire_all()
    after = db.session.get(EventSeries, first.series_id).occurrences
    assert [s.starts_at.astimezone(tz).date() for s in after] == dates
    assert [s.title for s in after] == ["Office hours (new time)"] * 4
    assert {s.starts_at.astimezone(tz).hour for s in after} == {local.hour}
    assert {s.ends_at - s.starts_at for s in after} == {timedelta(minutes=30)}
    assert all(s.sequence == 1 for s in after)


def test_the_series_cannot_be_moved_to_other_days(world):
    first = make_event(world["coach"], rrule="FREQ=WEEKLY;COUNT=3")
    moved = first.starts_at + timedelta(days=1)
    with pytest.raises(ServiceError, match="cancel the sessions to come"):
        services.update_event(
            world["coach"],
            first,
            {"starts_at": moved, "ends_at": moved + timedelta(hours=1)},
            scope="series",
        )


def test_a_series_edit_checks_every_session_before_changing_any(world, people, db):
    first = make_event(world["coach"], rrule="FREQ=WEEKLY;COUNT=3", capacity=5)
    third = first.series.occurrences[2]
    for person in people[:3]:
        register(person, third)
    with pytest.raises(ServiceError, match="has 3 people with a seat"):
        services.update_event(
            world["coach"], first, {"capacity": 2, "title": "Renamed"}, scope="series"
        )
    db.session.rollback()
    db.session.expire_all()
    assert {e.title for e in db.session.get(EventSeries, first.series_id).occurrences} == {
        first.title
    }


def test_cancelling_one_session_or_the_rest_of_the_series(world, db):
    first = make_event(world["coach"], rrule="FREQ=WEEKLY;COUNT=5")
    sessions = first.series.occurrences
    cancelled = services.cancel_event(world["coach"], sessions[1], scope="one")
    assert [e.id for e in cancelled] == [sessions[1].id]
    cancelled = services.cancel_event(
        world["coach"], sessions[2], scope="series", reason="Program break"
    )
    assert {e.id for e in cancelled} == {
        sessions[0].id,
        sessions[2].id,
        sessions[3].id,
        sessions[4].id,
    }
    assert db.session.get(EventSeries, first.series_id).complete
    with pytest.raises(Conflict, match="No session of this series is left"):
        services.cancel_event(world["coach"], sessions[4], scope="series")


# ---------------------------------------------------------------- invitations and resources


def test_a_guest_sees_only_the_event_they_are_invited_to(world, db):
    from cop.events.permissions import can_view_event

    event = make_event(world["coach"])
    other = make_event(world["coach"], title="Another webinar")
    guest = world["guest"]
    assert not can_view_event(guest, event)
    services.invite(world["coach"], event, "GUEST@test.example.org")
    assert can_view_event(guest, event) and not can_view_event(guest, other)
    note = db.session.execute(
        sa.select(Notification).where(Notification.user_id == guest.id)
    ).scalar_one()
    assert note.kind == "event_invitation" and note.url == f"/events/{event.id}"
    assert registrations.register(guest, event).status == "registered"
    with pytest.raises(Conflict, match="already invited"):
        services.invite(world["coach"], event, guest.email)
    with pytest.raises(ServiceError, match="No active account"):
        services.invite(world["coach"], event, "nobody@example.org")
    with pytest.raises(PermissionDenied):
        services.invite(world["member"], event, guest.email)


def test_resources_are_links_the_host_adds(world, db):
    event = make_event(world["coach"])
    resource = services.add_resource(
        world["coach"],
        event,
        kind="recording",
        title="Recording",
        url="https://video.example.org/1",
    )
    assert resource.id and resource.kind_label == "Recording"
    with pytest.raises(ServiceError, match="web address"):
        services.add_resource(
            world["coach"], event, kind="slides", title="Slides", url="javascript:alert(1)"
        )
    with pytest.raises(PermissionDenied):
        services.add_resource(
            world["member"], event, kind="slides", title="x", url="https://example.org"
        )
    services.delete_resource(world["coach"], event, resource.id)
    assert count(db, type(resource)) == 0
