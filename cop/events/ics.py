"""iCalendar (RFC 5545) files, built with the icalendar library only: never by hand, so
titles, locations and descriptions with line breaks, ;, , and \\ are escaped by the library.

- One VEVENT per event (each occurrence of a series has its own UID, so a feed lists exactly
  the sessions someone registered for, and a file and a feed never duplicate each other).
- UID is stored on the event; SEQUENCE is bumped by every change; a cancelled event is
  published with STATUS:CANCELLED (and METHOD:CANCEL for a single cancelled event), so
  Outlook and Google Calendar remove it.
- Times carry the organizer's zone (DTSTART;TZID=...) with its VTIMEZONE.
- The video-conference link is never in a file: it is shown on cop, to registrants, from a
  set time before the start. The file links to the event page and the live page instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from flask import Response

from cop.core.models import utcnow
from cop.events.models import Event

PRODID = "-//cop//Events//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _local(value: datetime, tz_name: str) -> datetime:
    return value.astimezone(ZoneInfo(tz_name))


def vevent(
    event: Event, *, event_url: str, live_url: str | None = None, now: datetime | None = None
) -> icalendar.Event:
    """The VEVENT of one event (an occurrence of a series included)."""
    component = icalendar.Event()
    component.add("uid", event.uid)
    component.add("dtstamp", now or utcnow())
    component.add("created", event.created_at)
    component.add("last-modified", event.updated_at)
    component.add("sequence", event.sequence)
    component.add("dtstart", _local(event.starts_at, event.timezone))
    component.add("dtend", _local(event.ends_at, event.timezone))
    component.add("summary", event.title)
    component.add("description", _description(event, event_url, live_url))
    if event.location:
        component.add("location", event.location)
    component.add("url", event_url)
    component.add("categories", [event.type_label])
    component.add("status", "CANCELLED" if event.is_cancelled else "CONFIRMED")
    component.add("transp", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    if event.host is not None:
        organizer = icalendar.vCalAddress(f"mailto:{event.host.email}")
        organizer.params["cn"] = icalendar.vText(event.host.name)
        component.add("organizer", organizer)
    return component


def _description(event: Event, event_url: str, live_url: str | None) -> str:
    lines = []
    if event.is_cancelled:
        lines.append("CANCELLED" + (f": {event.cancel_reason}" if event.cancel_reason else ""))
        lines.append("")
    if event.description:
        lines += [event.description, ""]
    if event.speakers:
        lines.append(
            "Speakers: "
            + "; ".join(
                s.name + (f" ({s.organization})" if s.organization else "") for s in event.speakers
            )
        )
    lines.append(f"Event page: {event_url}")
    if live_url and not event.is_cancelled:
        lines.append(
            f"Live page and video link (registrants, from {event.join_opens_minutes} "
            f"minutes before the start): {live_url}"
        )
    return "\n".join(lines)


def calendar(
    events: Iterable[tuple[Event, str, str | None]],
    *,
    name: str | None = None,
    method: str = "PUBLISH",
    refresh_minutes: int | None = None,
) -> icalendar.Calendar:
    """A VCALENDAR with a VEVENT per (event, event_url, live_url) and the VTIMEZONEs used."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
    if refresh_minutes:
        # Subscribed calendars: how often clients should look again (RFC 7986; Outlook's).
        cal.add(
            "refresh-interval",
            icalendar.vDuration(_minutes(refresh_minutes)),
            parameters={"VALUE": "DURATION"},
        )
        cal.add("x-published-ttl", icalendar.vDuration(_minutes(refresh_minutes)))
    now = utcnow()
    for event, event_url, live_url in events:
        cal.add_component(vevent(event, event_url=event_url, live_url=live_url, now=now))
    cal.add_missing_timezones()
    return cal


def _minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


def to_bytes(cal: icalendar.Calendar) -> bytes:
    return cal.to_ical()


def response(
    cal: icalendar.Calendar, filename: str, *, attachment: bool = True, cache: str = "no-store"
) -> Response:
    safe = "".join(c for c in filename if c.isalnum() or c in "-_.") or "event.ics"
    resp = Response(cal.to_ical(), mimetype="text/calendar")
    resp.headers["Content-Type"] = CONTENT_TYPE
    disposition = "attachment" if attachment else "inline"
    resp.headers["Content-Disposition"] = f'{disposition}; filename="{safe}"'
    resp.headers["Cache-Control"] = cache
    return resp
