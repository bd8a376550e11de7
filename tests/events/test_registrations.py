"""Registration: one click, capacity and the automatic waitlist, approval, attendance."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from cop.core.errors import Conflict, NotFound, PermissionDenied, ServiceError
from cop.core.models import utcnow
from cop.events import registrations, services
from cop.events.models import Event, Registration
from cop.notifications.models import Notification, ScheduledNotification
from tests.conftest import post_form
from tests.events.conftest import make_event, register


def notes(db, user, kind=None) -> list[Notification]:
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return db.session.execute(stmt).scalars().all()


def test_the_eleventh_registrant_of_ten_seats_is_waitlisted_then_promoted(world, people, db):
    event = make_event(world["coach"], capacity=10)
    seated = [register(p, event) for p in people[:10]]
    assert {r.status for r in seated} == {"registered"}
    eleventh = register(people[10], event)
    twelfth = register(people[11], event)
    assert eleventh.status == "waitlisted" and twelfth.status == "waitlisted"
    assert registrations.waitlist_position(eleventh) == 1
    assert registrations.waitlist_position(twelfth) == 2
    assert (event.registered_count, event.waitlist_count) == (10, 2)
    assert event.is_full and event.seats_left == 0

    registrations.cancel_registration(people[3], event)
    db.session.expire_all()
    assert db.session.get(Registration, eleventh.id).status == "registered"
    assert db.session.get(Registration, twelfth.id).status == "waitlisted"
    assert registrations.waitlist_position(db.session.get(Registration, twelfth.id)) == 1
    event = db.session.get(Event, event.id)
    assert (event.registered_count, event.waitlist_count) == (10, 1)
    assert registrations.recount(event) == {
        "registered_count": 10,
        "waitlist_count": 1,
        "pending_count": 0,
    }
    (note,) = notes(db, people[10], "waitlist_promoted")
    assert note.url == f"/events/{event.id}" and event.title in note.text
    # The promoted person now gets reminders; the one who left does not.
    due = db.session.execute(
        sa.select(ScheduledNotification.user_id, ScheduledNotification.status)
    ).all()
    assert (people[10].id, "pending") in due
    assert (people[3].id, "pending") not in due


def test_registering_in_one_click_through_the_page(world, people, app, db, fresh):
    from tests.conftest import login

    event = make_event(world["coach"], capacity=1)
    register(people[0], event)
    client = app.test_client()
    login(client, people[1])
    response = post_form(client, f"/events/{event.id}/register", token_from="/accessibility")
    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}"
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "On the waitlist" in page and "number 1" in page and "Leave the waitlist" in page
    response = post_form(client, f"/events/{event.id}/register", token_from="/accessibility")
    assert response.status_code == 303
    assert "already on this event" in client.get(f"/events/{event.id}").get_data(as_text=True)
    response = post_form(client, f"/events/{event.id}/unregister", token_from="/accessibility")
    assert response.status_code == 303
    fresh()
    assert db.session.get(Event, event.id).waitlist_count == 0


def test_registering_twice_is_refused(world, db):
    event = make_event(world["coach"])
    register(world["member"], event)
    with pytest.raises(Conflict, match="already registered") as caught:
        register(world["member"], event)
    assert caught.value.code == "already_registered"
    assert db.session.get(Event, event.id).registered_count == 1


def test_registering_after_the_deadline_is_refused(world, db):
    event = make_event(world["coach"])
    event.registration_deadline = utcnow() - timedelta(minutes=1)
    db.session.commit()
    with pytest.raises(Conflict, match="Registration closed on") as caught:
        register(world["member"], event)
    assert caught.value.code == "registration_closed"
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(Registration)).scalar_one() == 0
    )


def test_registering_for_an_event_one_may_not_see_is_not_found(world):
    staff = make_event(world["coach"], audience="staff")
    beta_only = make_event(world["coach"], audience="coalitions", coalition_ids=[world["beta"].id])
    with pytest.raises(NotFound):
        register(world["member"], staff)
    with pytest.raises(NotFound):
        register(world["member"], beta_only)
    with pytest.raises(NotFound):
        register(world["guest"], staff)
    assert register(world["other_member"], beta_only).status == "registered"


def test_registering_for_cancelled_or_past_events_or_ones_own(world, db):
    event = make_event(world["coach"])
    with pytest.raises(Conflict, match="You host this event"):
        register(world["coach"], event)
    services.cancel_event(world["coach"], event)
    with pytest.raises(Conflict, match="cancelled"):
        register(world["member"], event)
    over = make_event(world["coach"])
    with pytest.raises(Conflict, match="over"):
        register(world["member"], over, now=over.ends_at + timedelta(minutes=1))


def test_cancelling_without_a_registration_or_after_the_start(world):
    event = make_event(world["coach"])
    with pytest.raises(Conflict, match="not registered"):
        registrations.cancel_registration(world["member"], event)
    register(world["member"], event)
    with pytest.raises(Conflict, match="has started"):
        registrations.cancel_registration(
            world["member"], event, now=event.starts_at + timedelta(minutes=1)
        )


def test_registering_again_after_cancelling_goes_to_the_end_of_the_queue(world, people, db):
    event = make_event(world["coach"], capacity=1)
    register(people[0], event)
    register(people[1], event)
    registrations.cancel_registration(people[1], event)
    again = register(people[1], event)
    assert again.status == "waitlisted"
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(Registration)).scalar_one() == 2
    ), "the row is reused"


def test_approval_flow(world, people, db):
    event = make_event(world["coach"], capacity=1, requires_approval=True)
    first = register(people[0], event)
    second = register(people[1], event)
    assert first.status == second.status == "pending" and event.pending_count == 2
    assert {n.text for n in notes(db, world["coach"], "event_registration")} == {
        f"{people[0].name} asked to register for “{event.title}”",
        f"{people[1].name} asked to register for “{event.title}”",
    }
    with pytest.raises(PermissionDenied):
        registrations.approve(world["member"], first)
    registrations.approve(world["coach"], first)
    registrations.approve(world["coach"], second)
    assert first.status == "registered" and second.status == "waitlisted"
    assert "on the waitlist" in notes(db, people[1], "event_registration")[0].text
    registrations.decline(world["coach"], first)
    db.session.expire_all()
    assert db.session.get(Registration, first.id).status == "declined"
    assert db.session.get(Registration, second.id).status == "registered", "promoted"
    with pytest.raises(Conflict, match="declined"):
        register(people[0], event)
    event = db.session.get(Event, event.id)
    assert registrations.recount(event) == {
        "registered_count": 1,
        "waitlist_count": 0,
        "pending_count": 0,
    }
    assert (event.registered_count, event.waitlist_count, event.pending_count) == (1, 0, 0)


def test_counters_stay_true_through_a_long_sequence(world, people, db):
    event = make_event(world["coach"], capacity=3)
    for p in people[:8]:
        register(p, event)
    for p in (people[0], people[5], people[1], people[7]):
        registrations.cancel_registration(p, event)
    for p in (people[0], people[9]):
        register(p, event)
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    counts = registrations.recount(event)
    assert counts == {
        "registered_count": event.registered_count,
        "waitlist_count": event.waitlist_count,
        "pending_count": event.pending_count,
    }
    assert event.registered_count == 3


def test_attendance_is_recorded_from_the_live_page_and_corrected_by_the_host(world, people, db):
    event = make_event(world["coach"])
    a = register(people[0], event)
    b = register(people[1], event)
    during = event.starts_at + timedelta(minutes=5)
    assert not registrations.record_visit(
        people[0], event, now=event.starts_at - timedelta(hours=2)
    ), "not live yet"
    assert registrations.record_visit(people[0], event, now=during)
    assert not registrations.record_visit(people[0], event, now=during), "first visit only"
    db.session.expire_all()
    a, b = db.session.get(Registration, a.id), db.session.get(Registration, b.id)
    assert a.did_attend and a.attendance_source == "live_page" and not b.did_attend
    with pytest.raises(Conflict, match="once the event has started"):
        registrations.set_attendance(
            world["coach"], b, True, now=event.starts_at - timedelta(hours=1)
        )
    registrations.set_attendance(world["coach"], b, True, now=during)
    registrations.set_attendance(world["coach"], a, False, now=during)
    assert b.did_attend and b.attendance_source == "host"
    assert not a.did_attend
    registrations.set_attendance(world["coach"], a, None, now=during)
    assert a.did_attend, "back to what was recorded"
    with pytest.raises(PermissionDenied):
        registrations.set_attendance(world["member"], a, True, now=during)
    with pytest.raises(ServiceError):
        registrations.set_attendance(world["coach"], a, "yes", now=during)
