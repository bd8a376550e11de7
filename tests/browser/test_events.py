"""Events in Chromium against the real server: every events page passes axe-core, a member
registers in one click, and the live page's chat works between two registrants while the
host marks a question for the speakers and pins a message.

The live server runs `flask db upgrade`, so the events tables come from the events
migration. The chat part needs chat's tables (chat's migration): on a database without them
it is skipped, with that reason; the rest always runs.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

ADMIN = "admin@demo.example.org"
COACH = "coach@demo.example.org"  # hosts the live event
LEAD = "lead@demo.example.org"  # registered for it
MEMBER = "member@demo.example.org"  # registered for it
MEMBER2 = "member2@demo.example.org"  # registers in the browser
GUEST = "guest@demo.example.org"  # invited to one demo webinar


@pytest.fixture(scope="module")
def events(live_server):
    """The live server's database: the demo events, and an event under way now (its live
    page open), hosted by the coach, with the lead and the member registered."""
    import sqlalchemy as sa

    from cop.accounts.models import User
    from cop.core.models import utcnow
    from cop.events import registrations, services
    from cop.events.models import Event, EventSeries
    from cop.events.seed import seed_demo_events
    from cop.extensions import db

    app = live_server.app()
    with app.app_context():
        seed_demo_events()  # idempotent: a no-op once seed-demo loads the events itself
        users = {u.email: u for u in db.session.execute(sa.select(User)).scalars()}
        start = (utcnow() + timedelta(minutes=10)).replace(second=0, microsecond=0)
        live = services.create_event(
            users[COACH],
            {
                "title": "Live: employer advisory boards",
                "type": "peer_learning",
                "timezone": "America/New_York",
                "starts_at": start,
                "ends_at": start + timedelta(hours=1),
                "join_url": "https://meet.example.org/live",
                "description": "Bring one **question** about your advisory board.",
                "capacity": 30,
                "audience": "everyone",
            },
        )
        for email in (LEAD, MEMBER):
            registrations.register(users[email], live)
        upcoming = db.session.execute(
            sa.select(Event).where(Event.uid == "demo-apprenticeship-broadband@cop.example.org")
        ).scalar_one()
        past = db.session.execute(
            sa.select(Event).where(Event.uid == "demo-reporting-101@cop.example.org")
        ).scalar_one()
        cancelled = db.session.execute(
            sa.select(Event).where(Event.uid == "demo-cancelled-webinar@cop.example.org")
        ).scalar_one()
        series = db.session.execute(sa.select(EventSeries)).scalars().first()
        chat_tables = sa.inspect(db.engine).has_table("chat_rooms")
        yield {
            "app": app,
            "live": live.id,
            "upcoming": upcoming.id,
            "past": past.id,
            "cancelled": cancelled.id,
            "series_event": series.occurrences[0].id,
            "chat": chat_tables,
        }


def _pages(events) -> dict[str, list[str]]:
    live, upcoming, past = events["live"], events["upcoming"], events["past"]
    return {
        COACH: [
            "/events/",
            "/events/?when=past",
            "/events/?type=webinar&sector=broadband",
            "/events/calendar",
            "/events/new",
            f"/events/{live}",
            f"/events/{live}/edit",
            f"/events/{live}/cancel",
            f"/events/{live}/registrations",
            f"/events/{events['series_event']}",
            "/events/feed",
        ],
        # Admins manage every event: the series form, a past event's resources and transcript.
        ADMIN: [
            f"/events/{events['series_event']}/edit?scope=series",
            f"/events/{past}",
            f"/events/{past}/registrations",
        ],
        MEMBER: [
            "/events/",
            "/events/calendar?mine=1",
            f"/events/{upcoming}",
            f"/events/{past}",
            f"/events/{live}",
            f"/events/{events['cancelled']}",
        ],
        GUEST: ["/events/", f"/events/{upcoming}"],
    }


@pytest.mark.parametrize("who", [COACH, ADMIN, MEMBER, GUEST])
def test_every_events_page_is_accessible(session_for, events, who):
    s = session_for(who)
    for path in _pages(events)[who]:
        s.goto(path)
        s.assert_accessible(f"{path} as {who}")
    assert not [e for e in s.errors if "pageerror" in e], s.errors


def test_the_live_page_and_the_closed_live_page_are_accessible(session_for, events):
    member = session_for(MEMBER)
    member.goto(f"/events/{events['live']}/live")
    assert member.page.get_by_role("link", name=re.compile("Join the video call")).is_visible()
    if events["chat"]:
        member.page.locator("#chat-status").get_by_text("Connected.").wait_for(timeout=15000)
    member.assert_accessible("live page")
    coach = session_for(COACH)
    coach.goto(f"/events/{events['upcoming']}/live")  # not open yet: says when it opens
    assert coach.page.get_by_text("The live page opens").is_visible()
    coach.assert_accessible("live page before it opens")


def test_the_feed_address_page_is_accessible_and_the_feed_answers(session_for, events):
    import urllib.request

    s = session_for(MEMBER)
    s.goto("/events/feed")
    s.page.get_by_role(
        "button", name=re.compile("Create my feed address|Reset the address")
    ).click()
    address = s.page.get_by_label("Calendar feed address")
    address.wait_for(timeout=15000)
    s.assert_accessible("feed page with the new address")
    with urllib.request.urlopen(address.input_value(), timeout=10) as response:  # noqa: S310
        body = response.read().decode()
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in body and "Live: employer advisory boards" in body


def test_the_form_errors_are_accessible(session_for, events):
    s = session_for(COACH)
    s.goto("/events/new")
    s.page.get_by_label("Title").fill("Broken event")
    s.page.locator("label.usa-radio__label", has_text=re.compile("^Webinar$")).click()
    s.page.get_by_label("End time").fill("08:00")
    s.page.get_by_label("Start time").fill("09:00")
    s.page.get_by_role("button", name="Create the event").click()
    summary = s.page.locator("#error-summary")
    summary.wait_for(timeout=15000)  # the POST's answer, however busy the server
    assert "The end must be after the start." in summary.inner_text()
    s.assert_accessible("event form with errors")


def test_a_member_registers_in_one_click(session_for, events):
    s = session_for(MEMBER2)
    s.goto(f"/events/{events['upcoming']}")
    s.page.get_by_role("button", name=re.compile(r"^Register")).click()
    s.page.wait_for_url(re.compile(rf".*/events/{events['upcoming']}$"))
    assert s.page.get_by_text("You are registered.").is_visible()
    assert s.page.locator(".cop-reg--registered").is_visible()
    s.assert_accessible("event page after registering")
    s.page.get_by_role("button", name=re.compile(r"^Cancel my registration")).click()
    s.page.wait_for_url(re.compile(rf".*/events/{events['upcoming']}$"))
    assert s.page.get_by_text("Your registration is cancelled.").is_visible()


def _open_live(session, event_id: int):
    session.goto(f"/events/{event_id}/live")
    session.page.locator("#chat-status").get_by_text("Connected.").wait_for(timeout=15000)
    return session.page


def _message(page, text: str):
    return page.locator("#chat-messages li.cop-chat-msg", has_text=text)


def test_the_live_page_chat_works_with_questions_and_pins(session_for, events):
    if not events["chat"]:
        pytest.skip("chat's tables are not in this database (chat's migration is missing)")
    lead, member, host = session_for(LEAD), session_for(MEMBER), session_for(COACH)
    lead_page, member_page = _open_live(lead, events["live"]), _open_live(member, events["live"])
    host_page = _open_live(host, events["live"])

    member_page.locator("#chat-body").fill("Do your advisory boards meet **monthly**?")
    member_page.locator("#chat-body").press("Enter")
    member_page.locator("#chat-body").fill("Hello from Ohio")
    member_page.locator("#chat-body").press("Enter")
    arrived = _message(lead_page, "Do your advisory boards meet monthly?")
    arrived.wait_for(timeout=10000)
    assert arrived.locator("strong").inner_text() == "monthly"
    _message(lead_page, "Hello from Ohio").wait_for(timeout=10000)

    # The host marks the first message as a question for the speakers and pins the second.
    question = _message(host_page, "Do your advisory boards meet monthly?")
    question.wait_for(timeout=10000)
    question.get_by_role("button", name=re.compile("^Mark as question")).click()
    question.get_by_text("Question for the speakers").wait_for(timeout=5000)
    hello = _message(host_page, "Hello from Ohio")
    hello.get_by_role("button", name=re.compile("^Pin")).click()
    host_page.locator("#event-pinned").get_by_text("Hello from Ohio").wait_for(timeout=5000)
    host.assert_accessible("live page, host, with marks")

    # Everyone sees the marks within seconds; the questions filter shows only questions.
    lead_page.locator("#event-pinned").get_by_text("Hello from Ohio").wait_for(timeout=15000)
    lead_page.get_by_role("button", name=re.compile("^Questions for the speakers")).click()
    expect(_message(lead_page, "Do your advisory boards meet monthly?")).to_be_visible()
    expect(_message(lead_page, "Hello from Ohio")).to_be_hidden()
    assert (
        lead_page.get_by_role("button", name=re.compile("^Questions")).get_attribute("aria-pressed")
        == "true"
    )
    lead.assert_accessible("live page, questions only")
    lead_page.get_by_role("button", name="All messages").click()
    expect(_message(lead_page, "Hello from Ohio")).to_be_visible()
    assert not [e for e in lead.errors + member.errors + host.errors if "pageerror" in e]
