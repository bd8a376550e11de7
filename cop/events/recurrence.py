"""Recurrence rules: RFC 5545 RRULEs, checked part by part, expanded with python-dateutil.

Rules are expanded on the organizer's wall clock (naive local times, then placed in the
organizer's zone), so weekly office hours at 10:00 in Denver stay at 10:00 in Denver across
daylight-saving changes, as calendar clients expect of `DTSTART;TZID=...` with an RRULE.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

from cop.core.errors import ServiceError

RULE_MAX = 500
MAX_COUNT = 260  # five years of weekly sessions
MAX_INTERVAL = 99
FREQUENCIES = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
# RFC 5545 section 3.3.10 recur-rule-part names. BYHOUR, BYMINUTE and BYSECOND would put
# several sessions on one day: an event has one start time, so they are refused.
PARTS = (
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
)
SUB_DAILY = ("BYHOUR", "BYMINUTE", "BYSECOND")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = {
    "MO": "Monday",
    "TU": "Tuesday",
    "WE": "Wednesday",
    "TH": "Thursday",
    "FR": "Friday",
    "SA": "Saturday",
    "SU": "Sunday",
}
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
UNTIL_DATE = re.compile(r"^\d{8}$")
UNTIL_UTC = re.compile(r"^\d{8}T\d{6}Z$")
BYDAY_ITEM = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
INT_LIST = re.compile(r"^[+-]?\d{1,3}(,[+-]?\d{1,3})*$")

# The simple choices of the event form, built into rules anchored on the start date.
PRESETS = {
    "weekly": "Every week",
    "biweekly": "Every two weeks",
    "monthly_weekday": "Every month, on the same weekday (e.g. the second Tuesday)",
    "monthly_date": "Every month, on the same date",
}


def _invalid(message: str) -> ServiceError:
    return ServiceError(message, code="invalid", field="rrule")


@dataclass(frozen=True)
class Rule:
    """A checked rule: its parts and its canonical text (what is stored and published)."""

    parts: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        return ";".join(f"{k}={v}" for k, v in self.parts)

    def get(self, name: str) -> str | None:
        return dict(self.parts).get(name)

    @property
    def is_finite(self) -> bool:
        return self.get("COUNT") is not None or self.get("UNTIL") is not None


def parse_rule(text: str | None, tz_name: str) -> Rule:
    """Check an RRULE (with or without the "RRULE:" prefix) and return it in canonical
    form: names upper-case, FREQ first, UNTIL in UTC (RFC 5545 requires UTC when DTSTART
    has a time zone; a date-only UNTIL means the end of that day in the organizer's zone).

    Raises a ServiceError (400, code "invalid", field "rrule") that says what is wrong."""
    raw = (text or "").strip()
    if raw.upper().startswith("RRULE:"):
        raw = raw[6:].strip()
    if not raw:
        raise _invalid("Give a recurrence rule, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10.")
    if len(raw) > RULE_MAX or any(c in raw for c in "\r\n\x00"):
        raise _invalid(f"A recurrence rule is one line of at most {RULE_MAX} characters.")
    values: dict[str, str] = {}
    for item in raw.rstrip(";").split(";"):
        name, sep, value = item.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise _invalid(f"“{item}” is not NAME=VALUE (parts are separated by ;).")
        if name in SUB_DAILY:
            raise _invalid(f"{name} is not supported: an event has one start time per day.")
        if name not in PARTS:
            raise _invalid(f"Unknown rule part {name} (RFC 5545 allows {', '.join(PARTS)}).")
        if name in values:
            raise _invalid(f"{name} appears twice.")
        values[name] = value
    freq = values.get("FREQ")
    if freq is None:
        raise _invalid("The rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY).")
    if freq not in FREQUENCIES:
        raise _invalid(f"FREQ={freq} is not supported; use {', '.join(FREQUENCIES)}.")
    if "COUNT" in values and "UNTIL" in values:
        raise _invalid("Use COUNT or UNTIL, not both (RFC 5545).")
    _check_int(values, "COUNT", 1, MAX_COUNT)
    _check_int(values, "INTERVAL", 1, MAX_INTERVAL)
    if "BYDAY" in values:
        for item in values["BYDAY"].split(","):
            match = BYDAY_ITEM.match(item)
            if not match:
                raise _invalid(
                    f"BYDAY={values['BYDAY']}: “{item}” is not a weekday such as TU, 2TU or -1FR."
                )
            if match.group(1) and freq not in ("MONTHLY", "YEARLY"):
                raise _invalid("A numbered weekday (2TU) needs FREQ=MONTHLY or YEARLY.")
    for name in ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS"):
        if name in values and not INT_LIST.match(values[name]):
            raise _invalid(f"{name}={values[name]} is not a list of numbers.")
    if "WKST" in values and values["WKST"] not in WEEKDAYS:
        raise _invalid(f"WKST={values['WKST']} is not a weekday (MO to SU).")
    if "UNTIL" in values:
        values["UNTIL"] = _until_utc(values["UNTIL"], tz_name)
    order = {name: i for i, name in enumerate(PARTS)}
    rule = Rule(tuple(sorted(values.items(), key=lambda kv: order[kv[0]])))
    _dateutil(rule, datetime(2030, 1, 1, 12), tz_name)  # dateutil's own checks, once
    return rule


def _check_int(values: dict[str, str], name: str, low: int, high: int) -> None:
    if name not in values:
        return
    value = values[name]
    if not value.isdigit() or not low <= int(value) <= high:
        raise _invalid(f"{name} must be a whole number from {low} to {high}.")
    values[name] = str(int(value))


def _until_utc(value: str, tz_name: str) -> str:
    tz = ZoneInfo(tz_name)
    if UNTIL_DATE.match(value):
        try:
            day = datetime.strptime(value, "%Y%m%d").date()
        except ValueError:
            raise _invalid(f"UNTIL={value} is not a date.") from None
        local_end = datetime.combine(day, time(23, 59, 59), tzinfo=tz)
        return local_end.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if UNTIL_UTC.match(value):
        try:
            datetime.strptime(value, "%Y%m%dT%H%M%SZ")
        except ValueError:
            raise _invalid(f"UNTIL={value} is not a date and time.") from None
        return value
    raise _invalid("UNTIL must be a date (20270630) or a UTC date and time (20270630T170000Z).")


def _dateutil(rule: Rule, first_local: datetime, tz_name: str):
    """The dateutil rule, in naive local time (UNTIL converted to the organizer's zone)."""
    parts = dict(rule.parts)
    if "UNTIL" in parts:
        until = datetime.strptime(parts["UNTIL"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        parts["UNTIL"] = until.astimezone(ZoneInfo(tz_name)).strftime("%Y%m%dT%H%M%S")
    text = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        return rrulestr(text, dtstart=first_local.replace(tzinfo=None, microsecond=0))
    except (ValueError, TypeError, IndexError) as exc:
        raise _invalid(f"Not a valid recurrence rule: {exc}.") from None


def to_utc(local: datetime, tz_name: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def occurrences(
    rule: Rule,
    first_local: datetime,
    tz_name: str,
    *,
    after: datetime | None = None,
    before: datetime,
    limit: int = MAX_COUNT,
) -> list[datetime]:
    """The rule's starts (aware UTC) from `first_local` (naive, the organizer's wall clock),
    strictly after `after` and before `before` (UTC), at most `limit`."""
    found: list[datetime] = []
    for local in _dateutil(rule, first_local, tz_name):
        start = to_utc(local, tz_name)
        if start >= before or len(found) >= limit:
            break
        if after is not None and start <= after:
            continue
        found.append(start)
    return found


def total_count(rule: Rule, first_local: datetime, tz_name: str) -> int | None:
    """How many occurrences a finite rule has (None for an open-ended one)."""
    if not rule.is_finite:
        return None
    count = 0
    for _ in _dateutil(rule, first_local, tz_name):
        count += 1
        if count > MAX_COUNT:
            raise _invalid(f"The rule gives more than {MAX_COUNT} sessions; shorten it.")
    return count


def preset_rule(
    preset: str, start_local: datetime, *, count: int | None = None, until: date | None = None
) -> str:
    """The RRULE of one of the form's simple choices, anchored on the first session."""
    day = WEEKDAYS[start_local.weekday()]
    if preset == "weekly":
        rule = f"FREQ=WEEKLY;BYDAY={day}"
    elif preset == "biweekly":
        rule = f"FREQ=WEEKLY;INTERVAL=2;BYDAY={day}"
    elif preset == "monthly_weekday":
        nth = (start_local.day - 1) // 7 + 1
        rule = f"FREQ=MONTHLY;BYDAY={-1 if nth == 5 else nth}{day}"
    elif preset == "monthly_date":
        rule = f"FREQ=MONTHLY;BYMONTHDAY={start_local.day}"
    else:
        raise _invalid("Choose how the event repeats.")
    if count:
        rule += f";COUNT={count}"
    elif until:
        rule += f";UNTIL={until:%Y%m%d}"
    return rule


def describe(rule_text: str, tz_name: str) -> str:
    """A plain-English summary of common rules; the rule itself for the others."""
    try:
        rule = parse_rule(rule_text, tz_name)
    except ServiceError:
        return rule_text
    freq, interval = rule.get("FREQ"), int(rule.get("INTERVAL") or 1)
    unit = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}[freq]
    text = f"Every {unit}" if interval == 1 else f"Every {interval} {unit}s"
    byday = rule.get("BYDAY")
    if byday:
        names = []
        for item in byday.split(","):
            match = BYDAY_ITEM.match(item)
            nth, day = match.group(1), WEEKDAY_NAMES[match.group(2)]
            if nth and int(nth) in ORDINALS:
                names.append(f"the {ORDINALS[int(nth)]} {day}")
            elif nth:
                return rule.text
            else:
                names.append(day)
        text += " on " + _join(names)
    if rule.get("BYMONTHDAY"):
        text += " on day " + rule.get("BYMONTHDAY").replace(",", ", ")
    other = {"BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS"} & {k for k, _ in rule.parts}
    if other:
        return rule.text
    if rule.get("COUNT"):
        text += f", {rule.get('COUNT')} times"
    elif rule.get("UNTIL"):
        until = datetime.strptime(rule.get("UNTIL"), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        text += f", until {until.astimezone(ZoneInfo(tz_name)):%b %-d, %Y}"
    return text


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def horizon(now: datetime, days: int) -> datetime:
    return now + timedelta(days=days)
