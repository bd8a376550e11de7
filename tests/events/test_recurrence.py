"""RFC 5545 recurrence rules: checked part by part, expanded on the organizer's wall clock."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from cop.core.errors import ServiceError
from cop.events import recurrence
from tests.events.conftest import local, utc

DENVER = "America/Denver"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("FREQ=WEEKLY;BYDAY=TU;COUNT=10", "FREQ=WEEKLY;COUNT=10;BYDAY=TU"),
        ("RRULE:freq=monthly;byday=2TU;count=6", "FREQ=MONTHLY;COUNT=6;BYDAY=2TU"),
        (
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20270630T170000Z",
            "FREQ=WEEKLY;UNTIL=20270630T170000Z;INTERVAL=2;BYDAY=MO,WE",
        ),
        ("FREQ=MONTHLY;BYMONTHDAY=-1", "FREQ=MONTHLY;BYMONTHDAY=-1"),
        ("FREQ=MONTHLY;BYDAY=TU;BYSETPOS=-1;WKST=SU", "FREQ=MONTHLY;BYDAY=TU;BYSETPOS=-1;WKST=SU"),
    ],
)
def test_valid_rules_are_kept_in_canonical_form(text, canonical):
    assert recurrence.parse_rule(text, DENVER).text == canonical


def test_a_date_only_until_means_the_end_of_that_day_in_the_organizers_zone():
    rule = recurrence.parse_rule("FREQ=WEEKLY;UNTIL=20270630", DENVER)
    # 23:59:59 in Denver (MDT, UTC-6) is 05:59:59 the next day in UTC.
    assert rule.get("UNTIL") == "20270701T055959Z"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Give a recurrence rule"),
        ("BYDAY=TU", "needs FREQ"),
        ("FREQ=HOURLY", "FREQ=HOURLY is not supported"),
        ("FREQ=MINUTELY;COUNT=3", "not supported"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "COUNT or UNTIL, not both"),
        ("FREQ=WEEKLY;COUNT=0", "COUNT must be a whole number from 1"),
        ("FREQ=WEEKLY;COUNT=9999", "COUNT must be a whole number"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be"),
        ("FREQ=WEEKLY;BYDAY=XX", "is not a weekday"),
        ("FREQ=WEEKLY;BYDAY=2TU", "numbered weekday"),
        ("FREQ=WEEKLY;FOO=1", "Unknown rule part FOO"),
        ("FREQ=WEEKLY;BYHOUR=9,14", "one start time"),
        ("FREQ=WEEKLY;FREQ=DAILY", "appears twice"),
        ("FREQ=WEEKLY;UNTIL=2027-01-01", "UNTIL must be a date"),
        ("FREQ=WEEKLY;UNTIL=20271399", "is not a date"),
        ("FREQ=WEEKLY;BYMONTHDAY=x", "not a list of numbers"),
        ("FREQ=WEEKLY\nBYDAY=TU", "one line"),
        ("FREQ=WEEKLY;;COUNT=2", "NAME=VALUE"),
    ],
)
def test_invalid_rules_are_refused_with_a_reason(text, says):
    with pytest.raises(ServiceError) as caught:
        recurrence.parse_rule(text, DENVER)
    assert says in caught.value.message
    assert caught.value.field == "rrule" and caught.value.status == 400


def test_weekly_office_hours_stay_at_ten_in_denver_across_the_clock_change():
    rule = recurrence.parse_rule("FREQ=WEEKLY;BYDAY=TU;COUNT=4", DENVER)
    starts = recurrence.occurrences(
        rule, datetime(2026, 10, 20, 10), DENVER, before=utc("2030-01-01T00:00")
    )
    # Oct 20 and 27 are MDT (UTC-6); Nov 3 and 10 are MST (UTC-7): same wall clock.
    assert starts == [
        utc("2026-10-20T16:00"),
        utc("2026-10-27T16:00"),
        utc("2026-11-03T17:00"),
        utc("2026-11-10T17:00"),
    ]
    assert all(s.astimezone(local("2026-01-01T00:00", DENVER).tzinfo).hour == 10 for s in starts)


def test_expansion_respects_after_before_and_limit():
    rule = recurrence.parse_rule("FREQ=DAILY", DENVER)
    first = datetime(2026, 12, 1, 9)
    starts = recurrence.occurrences(
        rule, first, DENVER, after=utc("2026-12-03T00:00"), before=utc("2026-12-10T00:00"), limit=3
    )
    assert [s.day for s in starts] == [3, 4, 5]
    assert recurrence.total_count(rule, first, DENVER) is None
    finite = recurrence.parse_rule("FREQ=MONTHLY;BYMONTHDAY=15;COUNT=5", DENVER)
    assert recurrence.total_count(finite, first, DENVER) == 5


@pytest.mark.parametrize(
    ("preset", "start", "rule"),
    [
        ("weekly", datetime(2026, 12, 8, 10), "FREQ=WEEKLY;BYDAY=TU;COUNT=6"),
        ("biweekly", datetime(2026, 12, 8, 10), "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;COUNT=6"),
        ("monthly_weekday", datetime(2026, 12, 8, 10), "FREQ=MONTHLY;BYDAY=2TU;COUNT=6"),
        ("monthly_weekday", datetime(2026, 12, 29, 10), "FREQ=MONTHLY;BYDAY=-1TU;COUNT=6"),
        ("monthly_date", datetime(2026, 12, 8, 10), "FREQ=MONTHLY;BYMONTHDAY=8;COUNT=6"),
    ],
)
def test_the_forms_presets_are_anchored_on_the_first_session(preset, start, rule):
    assert recurrence.preset_rule(preset, start, count=6) == rule
    expanded = recurrence.occurrences(
        recurrence.parse_rule(rule, DENVER), start, DENVER, before=utc("2030-01-01T00:00")
    )
    assert expanded[0] == recurrence.to_utc(start, DENVER), "the first session is the start"


def test_presets_with_an_end_date():
    assert (
        recurrence.preset_rule("weekly", datetime(2026, 12, 8, 10), until=date(2027, 3, 1))
        == "FREQ=WEEKLY;BYDAY=TU;UNTIL=20270301"
    )


def test_rules_read_as_plain_english():
    assert (
        recurrence.describe("FREQ=WEEKLY;BYDAY=TU;COUNT=8", DENVER)
        == "Every week on Tuesday, 8 times"
    )
    assert (
        recurrence.describe("FREQ=MONTHLY;BYDAY=2TU", DENVER) == "Every month on the second Tuesday"
    )
    assert (
        recurrence.describe("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20270630", DENVER)
        == "Every 2 weeks on Monday and Wednesday, until Jun 30, 2027"
    )
    assert recurrence.describe("FREQ=YEARLY;BYWEEKNO=20", DENVER) == "FREQ=YEARLY;BYWEEKNO=20"
