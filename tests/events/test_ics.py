""".ics files: built with the icalendar library and read back with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar

from cop.core.models import utcnow
from cop.events import services
from tests.events.conftest import EASTERN, PACIFIC, make_event

NASTY = "Line one\nLine two; with, commas \\ and a backslash"


def _vevents(body: bytes) -> list:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def _pacific_ten_am(days: int = 30) -> datetime:
    day = (utcnow() + timedelta(days=days)).astimezone(ZoneInfo(PACIFIC)).date()
    return datetime(day.year, day.month, day.day, 10, 0)  # naive: read in the event's zone


def test_text_with_line_breaks_semicolons_commas_and_backslashes_round_trips(world, login_as):
    event = make_event(
        world["coach"], title=NASTY, location=NASTY, description=NASTY + "\n\n**bold**"
    )
    response = login_as("member").get(f"/events/{event.id}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.get_data(as_text=True)
    # RFC 5545 escaping, done by the library: \; \, \\ and \n in the text values.
    assert "Line one\\nLine two\\; with\\, commas \\\\ and a backslash" in raw.replace("\r\n ", "")
    (vevent,) = _vevents(response.data)
    assert str(vevent["SUMMARY"]) == NASTY
    assert str(vevent["LOCATION"]) == NASTY
    assert str(vevent["DESCRIPTION"]).startswith(NASTY + "\n\n**bold**")


def test_a_pacific_event_reads_at_the_right_hour_in_eastern_time(world, login_as):
    start = _pacific_ten_am()
    event = make_event(
        world["coach"], timezone=PACIFIC, starts_at=start, ends_at=start + timedelta(hours=1)
    )
    (vevent,) = _vevents(login_as("member").get(f"/events/{event.id}.ics").data)
    dtstart = vevent.decoded("DTSTART")
    assert dtstart.tzinfo is not None and vevent["DTSTART"].params["TZID"] == PACIFIC
    assert dtstart.hour == 10
    assert dtstart.astimezone(ZoneInfo(EASTERN)).hour == 13
    assert vevent.decoded("DTEND") - dtstart == timedelta(hours=1)
    cal = icalendar.Calendar.from_ical(login_as("member").get(f"/events/{event.id}.ics").data)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == [PACIFIC]


def test_uid_is_stable_and_sequence_grows_with_changes(world, login_as, fresh):
    event = make_event(world["coach"])
    client = login_as("member")
    (first,) = _vevents(client.get(f"/events/{event.id}.ics").data)
    assert str(first["UID"]) == event.uid and first["SEQUENCE"] == 0
    assert str(first["STATUS"]) == "CONFIRMED"
    services.update_event(world["coach"], event, {"location": "Room 4"})
    (second,) = _vevents(client.get(f"/events/{event.id}.ics").data)
    assert str(second["UID"]) == event.uid and second["SEQUENCE"] == 1
    services.cancel_event(world["coach"], event, reason="Speaker ill")
    (third,) = _vevents(client.get(f"/events/{event.id}.ics").data)
    assert str(third["UID"]) == event.uid and third["SEQUENCE"] == 2
    assert str(third["STATUS"]) == "CANCELLED"
    assert "Speaker ill" in str(third["DESCRIPTION"])


def test_the_video_link_is_never_in_a_file_but_the_event_page_is(world, login_as):
    event = make_event(world["coach"], join_url="https://meet.example.org/secret-room")
    body = login_as("member").get(f"/events/{event.id}.ics").get_data(as_text=True)
    assert "secret-room" not in body
    (vevent,) = _vevents(body.encode())
    assert str(vevent["URL"]).endswith(f"/events/{event.id}")
    assert str(vevent["ORGANIZER"]) == f"mailto:{world['coach'].email}"


def test_a_series_file_has_one_event_per_session(world, login_as):
    event = make_event(
        world["coach"], rrule="FREQ=WEEKLY;COUNT=4", title="Office hours", type="office_hours"
    )
    body = login_as("member").get(f"/events/series/{event.series_id}.ics").data
    vevents = _vevents(body)
    assert len(vevents) == 4
    assert len({str(v["UID"]) for v in vevents}) == 4
    starts = [v.decoded("DTSTART") for v in vevents]
    assert all(b - a == timedelta(days=7) or b.hour == a.hour for a, b in zip(starts, starts[1:]))


def test_files_of_events_one_may_not_see_are_404(world, login_as):
    staff = make_event(world["coach"], audience="staff")
    assert login_as("member").get(f"/events/{staff.id}.ics").status_code == 404
    assert login_as("guest").get(f"/events/{staff.id}.ics").status_code == 404
    assert login_as("other_coach").get(f"/events/{staff.id}.ics").status_code == 200
