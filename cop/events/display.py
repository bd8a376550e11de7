"""How event times read: in the viewer's zone, with the zone named."""

from __future__ import annotations

from datetime import datetime, timedelta

from cop.core.timezones import zone


def when(starts_at: datetime, ends_at: datetime, tz_name: str | None) -> str:
    """ "Thu, Dec 3, 2026, 1:00 PM – 2:00 PM EST", or both dates for a multi-day event."""
    tz = zone(tz_name)
    start, end = starts_at.astimezone(tz), ends_at.astimezone(tz)
    last = (ends_at - timedelta(microseconds=1)).astimezone(tz)
    if start.date() == last.date():
        same_zone = start.tzname() == end.tzname()
        first = f"{start:%a, %b %-d, %Y, %-I:%M %p}" + ("" if same_zone else f" {start.tzname()}")
        return f"{first} – {end:%-I:%M %p} {end.tzname()}"
    return (
        f"{start:%a, %b %-d, %Y, %-I:%M %p} {start.tzname()} – "
        f"{end:%a, %b %-d, %Y, %-I:%M %p} {end.tzname()}"
    )


def time_of_day(value: datetime, tz_name: str | None) -> str:
    local = value.astimezone(zone(tz_name))
    return f"{local:%-I:%M %p} {local.tzname()}"
