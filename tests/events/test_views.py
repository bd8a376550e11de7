"""The events pages through HTTP: list and month, event page in the viewer's zone, form,
cancel, registrations and CSV, live page, feed page."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from cop.core.models import utcnow
from cop.events.models import Event, EventSeries, Registration
from tests.conftest import csrf_token, post_form
from tests.events.conftest import EASTERN, PACIFIC, make_event, register


def text(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def _pacific(days: int, hour: int) -> datetime:
    day = (utcnow() + timedelta(days=days)).astimezone(ZoneInfo(PACIFIC)).date()
    return datetime(day.year, day.month, day.day, hour)


def test_a_pacific_event_shows_at_the_right_hour_for_an_eastern_viewer(world, login_as, db):
    start = _pacific(30, 10)
    event = make_event(
        world["coach"],
        timezone=PACIFIC,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        title="Pacific webinar",
    )
    assert world["member"].timezone == EASTERN
    page = text(login_as("member").get(f"/events/{event.id}"))
    zone = "EST" if "EST" in page else "EDT"
    assert re.search(rf"1:00 PM – 2:00 PM {zone}", page), "the viewer's zone, named"
    assert re.search(
        r"For the organizer: .*10:00 AM – 11:00 AM P[SD]T \(America/Los_Angeles\)", page
    )
    listing = text(login_as("member").get("/events/"))
    assert re.search(rf"Pacific webinar.*1:00 PM – 2:00 PM {zone}", listing)
    # A viewer who lives in Pacific time sees 10:00 AM.
    world["expert"].timezone = PACIFIC
    db.session.commit()
    assert re.search(
        r"10:00 AM – 11:00 AM P[SD]T", text(login_as("expert").get(f"/events/{event.id}"))
    )


def test_the_list_filters_by_type_sector_and_coalition(world, login_as):
    make_event(world["coach"], title="Broadband webinar", sectors=["broadband"])
    make_event(
        world["coach"],
        title="Solar office hours",
        type="office_hours",
        sectors=["renewable-energy"],
    )
    make_event(
        world["coach"],
        title="Alpha coaching group",
        type="coaching_group",
        audience="coalitions",
        coalition_ids=[world["alpha"].id],
    )
    client = login_as("member")
    assert "Solar office hours" in text(client.get("/events/?type=office_hours"))
    assert "Broadband webinar" not in text(client.get("/events/?type=office_hours"))
    page = text(client.get("/events/?sector=broadband"))
    assert "Broadband webinar" in page and "Solar office hours" not in page
    page = text(client.get("/events/?coalition=alpha"))
    assert "Alpha coaching group" in page and "Broadband webinar" not in page
    assert "Alpha coaching group" not in text(login_as("other_member").get("/events/"))
    assert "No event matches" in text(client.get("/events/?type=convening"))
    # Unknown filter values are ignored, never errors.
    assert client.get("/events/?type=%00&sector=x&coalition=../../").status_code in (200, 400)


def test_past_events_and_my_events(world, login_as, db):
    upcoming = make_event(world["coach"], title="Upcoming one")
    mine = make_event(world["coach"], title="Registered one")
    register(world["member"], mine)
    past = make_event(world["coach"], title="Past one")
    past.starts_at = utcnow() - timedelta(days=3)
    past.ends_at = past.starts_at + timedelta(hours=1)
    db.session.commit()
    client = login_as("member")
    page = text(client.get("/events/"))
    assert "Upcoming one" in page and "Past one" not in page
    assert "Past one" in text(client.get("/events/?when=past"))
    page = text(client.get("/events/?mine=1"))
    assert "Registered one" in page and upcoming.title not in page


def test_the_list_pages_by_keyset(world, login_as):
    for i in range(27):
        make_event(
            world["coach"],
            title=f"Session {i:02d}",
            starts_at=(utcnow() + timedelta(days=1, hours=i)).replace(microsecond=0),
            ends_at=(utcnow() + timedelta(days=1, hours=i + 1)).replace(microsecond=0),
        )
    client = login_as("member")
    first = text(client.get("/events/"))
    assert "Session 00" in first and "Session 24" in first and "Session 25" not in first
    after = (
        re.search(r'href="(/events/\?after=[^"]+)"', client.get("/events/").get_data(as_text=True))
        .group(1)
        .replace("&amp;", "&")
    )
    second = text(client.get(after))
    assert "Session 25" in second and "Session 26" in second and "Session 00" not in second


def test_list_pages_run_a_bounded_number_of_queries(world, login_as, count_queries):
    client = login_as("member")

    def measure(path) -> int:
        client.get(path)  # warm up (session touch, etc.)
        with count_queries() as q:
            assert client.get(path).status_code == 200
        return q.count

    for i in range(3):
        event = make_event(
            world["coach"],
            title=f"E{i}",
            speaker_ids=[world["expert"].id],
            sectors=["broadband"],
            audience="coalitions",
            coalition_ids=[world["alpha"].id],
        )
        register(world["member"], event)
    few = {p: measure(p) for p in ("/events/", "/events/calendar", "/api/v1/events")}
    for i in range(12):
        event = make_event(
            world["coach"],
            title=f"F{i}",
            speaker_ids=[world["expert"].id],
            sectors=["broadband"],
            audience="coalitions",
            coalition_ids=[world["alpha"].id],
        )
        register(world["member"], event)
    many = {p: measure(p) for p in few}
    assert many == few, f"queries grow with the number of events: {few} -> {many}"
    assert few["/events/"] <= 15


def test_the_month_view_places_events_on_the_viewers_days(world, login_as):
    # 11 PM Pacific is 2 AM the next day in Eastern time.
    start = _pacific(20, 23)
    event = make_event(
        world["coach"],
        timezone=PACIFIC,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        title="Late Pacific session",
    )
    eastern_day = event.starts_at.astimezone(ZoneInfo(EASTERN)).date()
    page = (
        login_as("member").get(f"/events/calendar?month={eastern_day:%Y-%m}").get_data(as_text=True)
    )
    cell = re.search(
        rf"{eastern_day:%A}, {eastern_day:%B} </span>{eastern_day.day}</span>(.*?)</td>", page, re.S
    )
    assert cell and "Late Pacific session" in cell.group(1)
    assert re.search(r"2:00 AM E[SD]T", cell.group(1))
    assert "<caption" in page and 'scope="col"' in page
    assert login_as("member").get("/events/calendar?month=garbage").status_code == 200


def test_creating_an_event_through_the_form(world, login_as, db, fresh):
    client = login_as("coach")
    page = client.get("/events/new")
    assert page.status_code == 200 and "Create an event" in text(page)
    day = (utcnow() + timedelta(days=12)).astimezone(ZoneInfo(PACIFIC)).date()
    data = {
        "title": "Form-made webinar",
        "type": "webinar",
        "description": "Hello *there*",
        "starts_on": day.isoformat(),
        "start_time": "10:00",
        "end_time": "11:30",
        "timezone": PACIFIC,
        "location": "Online",
        "join_url": "https://meet.example.org/f",
        "join_opens_minutes": "10",
        "audience": "coalitions",
        "coalition_ids": [str(world["alpha"].id)],
        "sectors": ["broadband"],
        "speaker_ids": [str(world["expert"].id)],
        "other_speakers": "Pat Doe, Example Org",
        "capacity": "40",
        "repeat": "",
    }
    response = post_form(client, "/events/new", data, token_from="/events/new")
    assert response.status_code == 303, text(response)[:2000]
    fresh()
    event = db.session.execute(sa.select(Event)).scalar_one()
    assert event.timezone == PACIFIC and event.starts_at.astimezone(ZoneInfo(PACIFIC)).hour == 10
    assert [c.slug for c in event.coalitions] == ["alpha"] and event.capacity == 40
    assert event.join_opens_minutes == 10 and len(event.speakers) == 2


def test_the_form_creates_a_weekly_series(world, login_as, db, fresh):
    client = login_as("coach")
    day = (utcnow() + timedelta(days=5)).date()
    data = {
        "title": "Weekly office hours",
        "type": "office_hours",
        "starts_on": day.isoformat(),
        "start_time": "11:00",
        "end_time": "12:00",
        "timezone": "America/Denver",
        "join_opens_minutes": "15",
        "audience": "everyone",
        "repeat": "weekly",
        "repeat_count": "5",
    }
    response = post_form(client, "/events/new", data, token_from="/events/new")
    assert response.status_code == 303, text(response)[:2000]
    fresh()
    series = db.session.execute(sa.select(EventSeries)).scalar_one()
    assert series.rrule.startswith("FREQ=WEEKLY;COUNT=5;BYDAY=")
    assert len(series.occurrences) == 5


def test_form_errors_are_shown_next_to_their_fields_and_nothing_is_saved(world, login_as, db):
    client = login_as("coach")
    day = (utcnow() + timedelta(days=5)).date()
    base = {
        "title": "Bad",
        "type": "webinar",
        "starts_on": day.isoformat(),
        "start_time": "11:00",
        "end_time": "10:00",
        "timezone": EASTERN,
        "join_opens_minutes": "15",
        "audience": "everyone",
    }
    response = post_form(client, "/events/new", base, token_from="/events/new")
    assert response.status_code == 400
    page = text(response)
    assert "Nothing was saved" in page and "The end must be after the start." in page
    assert 'href="#end_time"' in page
    response = post_form(
        client,
        "/events/new",
        dict(base, end_time="12:00", repeat="custom", rrule="FREQ=WEEKLY;BYDAY=XX"),
        token_from="/events/new",
    )
    assert response.status_code == 400 and "is not a weekday" in text(response)
    response = post_form(
        client,
        "/events/new",
        dict(base, end_time="12:00", timezone="Nowhere/Land"),
        token_from="/events/new",
    )
    assert response.status_code == 400 and "Unknown time zone" in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 0


def test_editing_and_cancelling_through_the_pages(world, login_as, db, fresh):
    event = make_event(world["coach"], rrule="FREQ=WEEKLY;COUNT=3")
    client = login_as("coach")
    page = client.get(f"/events/{event.id}/edit?scope=series")
    assert page.status_code == 200 and "This and every later session" in text(page)
    tz = ZoneInfo(EASTERN)
    local = event.starts_at.astimezone(tz)
    data = {
        "title": "Renamed series",
        "type": "webinar",
        "starts_on": local.date().isoformat(),
        "start_time": local.strftime("%H:%M"),
        "end_time": (local + timedelta(hours=1)).strftime("%H:%M"),
        "timezone": EASTERN,
        "join_opens_minutes": "15",
        "audience": "everyone",
        "scope": "series",
    }
    response = post_form(
        client, f"/events/{event.id}/edit", data, token_from=f"/events/{event.id}/edit"
    )
    assert response.status_code == 303, text(response)[:1500]
    fresh()
    assert {e.title for e in db.session.get(EventSeries, event.series_id).occurrences} == {
        "Renamed series"
    }
    response = post_form(
        client,
        f"/events/{event.id}/cancel",
        {"scope": "one", "reason": "Ill"},
        token_from=f"/events/{event.id}/cancel",
    )
    assert response.status_code == 303
    fresh()
    assert db.session.get(Event, event.id).is_cancelled
    assert "This event is cancelled" in text(client.get(f"/events/{event.id}"))
    assert client.get(f"/events/{event.id}/edit").status_code == 409


def test_the_registration_list_csv_is_injection_safe(world, login_as, db):
    event = make_event(world["coach"], capacity=1)
    world["member"].name = '=HYPERLINK("http://evil.example")'
    db.session.commit()
    register(world["member"], event)
    register(world["lead"], event)
    response = login_as("coach").get(f"/events/{event.id}/registrations.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Name", "Email", "Organization", "Role", "Status"]
    assert rows[1][0].startswith("'=HYPERLINK")
    assert rows[1][4] == "Registered" and rows[2][4] == "On the waitlist" and rows[2][6] == "1"
    assert login_as("member").get(f"/events/{event.id}/registrations.csv").status_code == 403


def test_the_host_approves_and_corrects_attendance_on_the_registrations_page(
    world, login_as, db, fresh
):
    event = make_event(world["coach"], requires_approval=True)
    reg = register(world["member"], event)
    client = login_as("coach")
    page = text(client.get(f"/events/{event.id}/registrations"))
    assert "Waiting for the host" in page and "Approve" in page
    response = post_form(
        client,
        f"/events/{event.id}/registrations/{reg.id}",
        {"action": "approve"},
        token_from="/accessibility",
    )
    assert response.status_code == 303
    fresh()
    assert db.session.get(Registration, reg.id).status == "registered"
    event = db.session.get(Event, event.id)
    event.starts_at = utcnow() - timedelta(minutes=30)
    event.ends_at = utcnow() + timedelta(minutes=30)
    db.session.commit()
    assert "Mark attended" in text(client.get(f"/events/{event.id}/registrations"))
    response = post_form(
        client,
        f"/events/{event.id}/registrations/{reg.id}",
        {"action": "attended"},
        token_from="/accessibility",
    )
    assert response.status_code == 303
    fresh()
    assert db.session.get(Registration, reg.id).attended is True


def test_inviting_a_guest_from_the_registrations_page(world, login_as, db):
    event = make_event(world["coach"])
    client = login_as("coach")
    response = post_form(
        client,
        f"/events/{event.id}/invitations",
        {"email": world["guest"].email},
        token_from="/accessibility",
    )
    assert response.status_code == 303
    page = text(client.get(f"/events/{event.id}/registrations"))
    assert "is invited and was notified" in page and world["guest"].email in page
    guest = login_as("guest")
    assert guest.get(f"/events/{event.id}").status_code == 200
    assert event.title in text(guest.get("/events/"))
    response = post_form(
        client,
        f"/events/{event.id}/invitations",
        {"email": "nobody@example.org"},
        token_from="/accessibility",
    )
    assert "No active account" in text(client.get(response.headers["Location"]))


def test_the_live_page_opens_for_registrants_a_set_time_before(world, login_as, db):
    event = make_event(world["coach"], join_url="https://meet.example.org/live-room")
    register(world["member"], event)
    member = login_as("member")
    page = text(member.get(f"/events/{event.id}/live"))
    assert "The live page opens" in page and "live-room" not in page
    assert "live-room" not in text(member.get(f"/events/{event.id}"))
    assert login_as("lead").get(f"/events/{event.id}/live").status_code == 403, "not registered"
    event.starts_at = utcnow() + timedelta(minutes=10)  # inside the 15 minutes
    event.ends_at = event.starts_at + timedelta(hours=1)
    db.session.commit()
    page = text(member.get(f"/events/{event.id}/live"))
    assert "Join the video call" in page and "live-room" in page
    assert 'id="chat"' in page and 'id="event-live"' in page
    assert "live-room" in text(member.get(f"/events/{event.id}"))
    db.session.expire_all()
    reg = db.session.execute(sa.select(Registration)).scalar_one()
    assert reg.joined_at is not None and reg.join_source == "live_page"


def test_resources_and_the_transcript_on_the_event_page(world, login_as, db, fresh):
    from cop.events import live

    event = make_event(world["coach"])
    client = login_as("coach")
    response = post_form(
        client,
        f"/events/{event.id}/resources",
        {"kind": "recording", "title": "The recording", "url": "https://video.example.org/42"},
        token_from="/accessibility",
    )
    assert response.status_code == 303
    assert "The recording" in text(login_as("member").get(f"/events/{event.id}"))
    live.close_chat(event, event.ends_at)
    page = text(login_as("member").get(f"/events/{event.id}"))
    assert "Chat transcript" in page and "Nobody wrote in the chat." in page


def test_the_feed_page_shows_the_address_once(world, login_as, db):
    client = login_as("member")
    assert "You have no feed" in text(client.get("/events/feed"))
    response = post_form(client, "/events/feed", {"action": "reset"}, token_from="/events/feed")
    assert response.status_code == 200
    url = re.search(
        r'value="(http[^"]+/calendar/[^"]+\.ics)"', response.get_data(as_text=True)
    ).group(1)
    assert url.startswith("http://127.0.0.1:5000/calendar/")
    page = text(client.get("/events/feed"))
    assert "Your feed is on" in page and url not in page, "shown once"
    response = post_form(client, "/events/feed", {"action": "revoke"}, token_from="/events/feed")
    assert response.status_code == 303
    assert "You have no feed" in text(client.get("/events/feed"))


def test_registration_buttons_carry_a_safe_next(world, login_as):
    event = make_event(world["coach"])
    client = login_as("member")
    response = client.post(
        f"/events/{event.id}/register",
        data={"csrf_token": csrf_token(client, "/accessibility"), "next": "https://evil.example/"},
    )
    assert response.status_code == 303 and response.headers["Location"] == f"/events/{event.id}"
