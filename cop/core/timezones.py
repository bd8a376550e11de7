"""Time zones: stored UTC, shown in the viewer's zone with the zone named."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

DEFAULT_TZ = "America/New_York"

# The zones of the 50 states, DC and the territories, first in every picker.
US_TIMEZONES = [
    ("America/New_York", "Eastern"),
    ("America/Chicago", "Central"),
    ("America/Denver", "Mountain"),
    ("America/Phoenix", "Mountain (Arizona, no DST)"),
    ("America/Los_Angeles", "Pacific"),
    ("America/Anchorage", "Alaska"),
    ("Pacific/Honolulu", "Hawaii"),
    ("America/Puerto_Rico", "Atlantic (Puerto Rico, USVI)"),
    ("Pacific/Guam", "Chamorro (Guam, CNMI)"),
    ("Pacific/Pago_Pago", "Samoa"),
    ("UTC", "UTC"),
]


@cache
def all_timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_valid_timezone(name: str | None) -> bool:
    return bool(name) and name in all_timezones()


def zone(name: str | None) -> ZoneInfo:
    return ZoneInfo(name if is_valid_timezone(name) else DEFAULT_TZ)


def localtime(
    value: datetime | None, tz_name: str | None, fmt: str = "%b %-d, %Y %-I:%M %p"
) -> str:
    """Format an aware UTC datetime in the named zone, with the zone's abbreviation."""
    if value is None:
        return ""
    local = value.astimezone(zone(tz_name))
    return f"{local.strftime(fmt)} {local.tzname()}"
