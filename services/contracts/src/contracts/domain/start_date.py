"""When supply under a new contract starts (product conditions, shared/reference/004, s. 3).

* Supply always starts between 30 calendar days and 6 months after the day of the request,
  both bounds included.
* Without a choice: the day after the current contract (with another supplier) ends, when
  that day is within those bounds' six months; otherwise (no end date given, or it ends
  later) 30 days after the request. A current contract ending sooner than 30 days from now
  cannot be followed seamlessly: supply starts on the earliest day allowed.
* A chosen start date must lie within the bounds; outside them it is refused, naming both.

"6 months after" is the same day number six months on; where that month is shorter, its last
day (31 August -> 28 or 29 February).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.domain.errors import InvalidStartDate

MIN_DAYS = 30
MAX_MONTHS = 6


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class StartBounds:
    earliest: date
    latest: date


def start_bounds(requested_on: date) -> StartBounds:
    return StartBounds(requested_on + timedelta(days=MIN_DAYS), add_months(requested_on, MAX_MONTHS))


def start_date(
    requested_on: date, *, desired: date | None = None, current_contract_end: date | None = None
) -> date:
    bounds = start_bounds(requested_on)
    if desired is not None:
        if not bounds.earliest <= desired <= bounds.latest:
            raise InvalidStartDate(
                f"Supply can start from {bounds.earliest.isoformat()} up to and including "
                f"{bounds.latest.isoformat()} (30 days to 6 months after the request).",
                field="desired_start_date",
            )
        return desired
    # Compared before adding a day, so that an end date at the calendar's end cannot overflow.
    if current_contract_end is not None and current_contract_end < bounds.latest:
        return max(current_contract_end + timedelta(days=1), bounds.earliest)
    return bounds.earliest
