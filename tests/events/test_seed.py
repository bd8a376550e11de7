"""The demo events: past and upcoming, across time zones, with registrations; idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from cop.core.models import utcnow
from cop.events import registrations
from cop.events.models import Event, EventSeries, Registration


def test_demo_events_are_believable_and_idempotent(app, db):
    from cop.events import seed_demo_events
    from cop.seed import seed_demo

    first = seed_demo()["features"]["events"]  # seed-demo loads the events
    assert first["events"] >= 15
    assert seed_demo_events() == {"events": 0}, "idempotent"
    events = db.session.execute(sa.select(Event)).scalars().all()
    now = utcnow()
    assert any(e.ends_at < now for e in events) and any(e.starts_at > now for e in events)
    assert len({e.timezone for e in events}) >= 5
    assert {e.type for e in events} == {
        "webinar",
        "peer_learning",
        "office_hours",
        "convening",
        "coaching_group",
    }
    assert {e.audience for e in events} == {"everyone", "coalitions", "staff"}
    assert any(e.is_cancelled for e in events)
    assert any(e.is_full and e.waitlist_count for e in events)
    assert any(e.requires_approval and e.pending_count for e in events)
    series = db.session.execute(sa.select(EventSeries)).scalar_one()
    assert series.rrule.startswith("FREQ=WEEKLY") and len(series.occurrences) == 8
    past = [e for e in events if e.ends_at < now]
    assert all(e.resources and e.transcript and e.chat_closed_at for e in past)
    assert any(r.did_attend for r in db.session.execute(sa.select(Registration)).scalars())
    for event in events:
        counts = registrations.recount(event)
        assert counts == {
            "registered_count": event.registered_count,
            "waitlist_count": event.waitlist_count,
            "pending_count": event.pending_count,
        }, event.title
    assert all("(demo)" in (e.location or "(demo)") or e.location == "Online" for e in events)


def test_the_demo_pages_render(app, db, login_as):
    from cop.events import seed_demo_events
    from cop.seed import seed_demo

    seed_demo()
    seed_demo_events()
    client = app.test_client()
    from tests.conftest import login

    login(client, "coach@demo.example.org", "demo-password-2026")
    assert client.get("/events/").status_code == 200
    assert client.get("/events/?when=past").status_code == 200
    for event_id in db.session.execute(sa.select(Event.id)).scalars():
        assert client.get(f"/events/{event_id}").status_code == 200
