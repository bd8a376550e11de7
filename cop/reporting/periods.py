"""The grant period: its calendar quarters, grant years and report due dates.

Quarters are calendar quarters (federal reporting), the `Quarter` of cop.coaching.analysis,
so a coaching session and a report agree on which quarter a day belongs to (the program's
reporting time zone). The grant was awarded in September 2023; the period of performance runs
from 2023 Q4 through 2028 Q3 by default: five grant years of four quarters, Year 1 being
October 2023 to September 2024 (the federal fiscal years 2024 to 2028).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app

from cop.coaching.analysis import Quarter, local_date
from cop.core.models import utcnow

__all__ = ["GrantPeriod", "Quarter", "parse_quarter", "today"]

DEFAULT_START = "2023Q4"
DEFAULT_END = "2028Q3"
DEFAULT_DUE_DAYS = 45  # reports are due 45 days after the quarter ends

_LOOSE = re.compile(
    r"^\s*(?:(\d{4})\s*[-/ ]?\s*Q\s*([1-4])|Q\s*([1-4])\s*[-/ ]?\s*(\d{4}))\s*$", re.IGNORECASE
)


def parse_quarter(text: str | None) -> Quarter | None:
    """2026Q3, 2026-Q3, 2026 Q3, q3 2026 -> Quarter(2026, 3); anything else -> None."""
    match = _LOOSE.match(text or "")
    if not match:
        return None
    year = int(match.group(1) or match.group(4))
    number = int(match.group(2) or match.group(3))
    if not 2000 <= year <= 2100:
        return None
    return Quarter(year, number)


def today(now: datetime | None = None) -> date:
    """Today in the program's reporting time zone."""
    return local_date(now or utcnow())


@dataclass(frozen=True)
class GrantPeriod:
    first: Quarter
    last: Quarter
    due_days: int = DEFAULT_DUE_DAYS

    @classmethod
    def current(cls) -> GrantPeriod:
        """The period the app is configured with (REPORTING_GRANT_START / _END / _DUE_DAYS)."""
        cfg = current_app.config
        first = parse_quarter(cfg.get("REPORTING_GRANT_START") or DEFAULT_START)
        last = parse_quarter(cfg.get("REPORTING_GRANT_END") or DEFAULT_END)
        if first is None or last is None or last < first:
            raise RuntimeError(
                "REPORTING_GRANT_START and REPORTING_GRANT_END must be quarters "
                "such as 2023Q4, the end not before the start"
            )
        return cls(first, last, int(cfg.get("REPORTING_DUE_DAYS", DEFAULT_DUE_DAYS)))

    # ------------------------------------------------------------ quarters

    def quarters(self) -> list[Quarter]:
        out, q = [], self.first
        while q <= self.last:
            out.append(q)
            q = q.next
        return out

    def contains(self, quarter: Quarter) -> bool:
        return self.first <= quarter <= self.last

    def clamp(self, quarter: Quarter) -> Quarter:
        return min(max(quarter, self.first), self.last)

    def through(self, quarter: Quarter) -> list[Quarter]:
        """The grant's quarters from the first through `quarter` (none before the start)."""
        return [q for q in self.quarters() if q <= quarter]

    @property
    def length(self) -> int:
        return len(self.quarters())

    def started(self, quarter: Quarter, now: datetime | None = None) -> bool:
        return quarter.first_day <= today(now)

    def current_quarter(self, now: datetime | None = None) -> Quarter:
        return Quarter.of(today(now))

    def default_as_of(self, now: datetime | None = None) -> Quarter:
        """The quarter dashboards show by default: the last one that has ended (reports
        are written after a quarter ends), within the grant period."""
        return self.clamp(self.current_quarter(now).previous)

    def reportable(self, now: datetime | None = None) -> list[Quarter]:
        """Quarters a report may be written for: in the grant period and already started."""
        return [q for q in self.quarters() if self.started(q, now)]

    # ------------------------------------------------------------ grant years

    @property
    def years(self) -> int:
        return (self.length + 3) // 4

    def year_of(self, quarter: Quarter) -> int:
        """1 for the grant's first four quarters, 2 for the next four, ..."""
        index = self.quarters().index(self.clamp(quarter))
        return index // 4 + 1

    def year_quarters(self, year: int) -> list[Quarter]:
        return self.quarters()[(year - 1) * 4 : year * 4]

    def year_label(self, year: int) -> str:
        quarters = self.year_quarters(year)
        if not quarters:
            return f"Year {year}"
        start, end = quarters[0].first_day, quarters[-1].last_day
        return f"Year {year} ({start:%b %Y} to {end:%b %Y})"

    def period_label(self, period: int) -> str:
        """0: the whole grant; n: grant year n."""
        if period == 0:
            return "Whole grant"
        return self.year_label(period)

    # ------------------------------------------------------------ due dates

    def due_on(self, quarter: Quarter) -> date:
        return quarter.last_day + timedelta(days=self.due_days)

    def is_overdue(self, quarter: Quarter, now: datetime | None = None) -> bool:
        return today(now) > self.due_on(quarter)
