"""The personal calendar feed: /calendar/<secret token>.ics, revocable, exactly my
registrations, read by calendar apps without a session."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import sqlalchemy as sa

from cop.events import registrations, services
from cop.events.models import FeedToken
from tests.events.conftest import make_event, register


def _feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


def _uids(response) -> dict[str, str]:
    cal = icalendar.Calendar.from_ical(response.data)
    return {str(v["UID"]): str(v["STATUS"]) for v in cal.walk("VEVENT")}


def test_a_subscribed_feed_lists_exactly_my_registrations(client, world, people, db):
    member = world["member"]
    mine = make_event(world["coach"], title="Mine")
    also_mine = make_event(world["coach"], title="Also mine", rrule="FREQ=WEEKLY;COUNT=3")
    second_session = also_mine.series.occurrences[1]
    waiting = make_event(world["coach"], title="Full", capacity=1)
    left = make_event(world["coach"], title="Left")
    cancelled = make_event(world["coach"], title="Cancelled later")
    make_event(world["coach"], title="Not registered")
    for event in (mine, also_mine, left, cancelled):
        register(member, event)
    register(people[0], waiting)
    register(member, waiting)  # waitlisted: no seat, not in the feed
    registrations.cancel_registration(member, left)
    services.cancel_event(world["coach"], cancelled)
    token = services.reset_feed_token(member)

    response = client.get(_feed_path(token))  # no session: the token is the credential
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "inline" in response.headers["Content-Disposition"]
    assert _uids(response) == {
        mine.uid: "CONFIRMED",
        also_mine.uid: "CONFIRMED",
        cancelled.uid: "CANCELLED",
    }
    assert second_session.uid not in _uids(response), "only the sessions I registered for"
    cal = icalendar.Calendar.from_ical(response.data)
    assert str(cal["X-WR-CALNAME"]).startswith(member.name)
    assert "REFRESH-INTERVAL" in cal and str(cal["METHOD"]) == "PUBLISH"

    # A registration made later shows up at the next refresh.
    register(member, second_session)
    assert second_session.uid in _uids(client.get(_feed_path(token)))


def test_feeds_are_revocable_and_resettable(client, world, db):
    member = world["member"]
    event = make_event(world["coach"])
    register(member, event)
    token = services.reset_feed_token(member)
    assert client.get(_feed_path(token)).status_code == 200
    stored = db.session.execute(sa.select(FeedToken)).scalar_one()
    assert stored.token_hash != token and token not in stored.token_hash, "only a hash is kept"
    assert stored.last_used_at is not None
    new = services.reset_feed_token(member)
    assert client.get(_feed_path(token)).status_code == 404, "the old address stops working"
    assert client.get(_feed_path(new)).status_code == 200
    assert services.revoke_feed_token(member)
    assert client.get(_feed_path(new)).status_code == 404
    assert not services.revoke_feed_token(member)


def test_feeds_of_deactivated_users_and_bad_tokens_are_404(client, world, db):
    token = services.reset_feed_token(world["lead"])
    world["lead"].active = False
    db.session.commit()
    assert client.get(_feed_path(token)).status_code == 404
    assert client.get(_feed_path("not-a-token")).status_code == 404
    assert client.get(_feed_path("x" * 500)).status_code == 404


def test_a_registrant_who_loses_access_loses_the_event_from_the_feed(client, world, db):
    from cop.coalitions import services as coalition_services
    from cop.coalitions.models import Membership

    member = world["member"]
    event = make_event(world["coach"], audience="coalitions", coalition_ids=[world["alpha"].id])
    register(member, event)
    token = services.reset_feed_token(member)
    assert event.uid in _uids(client.get(_feed_path(token)))
    membership = db.session.execute(
        sa.select(Membership).where(Membership.user_id == member.id)
    ).scalar_one()
    coalition_services.remove_member(world["admin"], membership)
    assert event.uid not in _uids(client.get(_feed_path(token)))


def test_the_feed_address_from_the_page_works(world, login_as):
    from tests.conftest import post_form

    event = make_event(world["coach"])
    register(world["member"], event)
    client = login_as("member")
    page = post_form(client, "/events/feed", {"action": "reset"}, token_from="/events/feed")
    url = re.search(r'value="http://[^/]+(/calendar/[^"]+\.ics)"', page.get_data(as_text=True))
    calendar_app = type(client)(client.application)  # no cookies: a calendar app
    assert event.uid in _uids(calendar_app.get(url.group(1)))


def test_the_feed_window_keeps_recent_past_events(client, world, db):
    member = world["member"]
    event = make_event(world["coach"])
    register(member, event)
    event.starts_at -= timedelta(days=30)
    event.ends_at -= timedelta(days=30)
    db.session.commit()
    token = services.reset_feed_token(member)
    assert event.uid in _uids(client.get(_feed_path(token)))
    event.starts_at -= timedelta(days=365)
    event.ends_at -= timedelta(days=365)
    db.session.commit()
    assert event.uid not in _uids(client.get(_feed_path(token)))
