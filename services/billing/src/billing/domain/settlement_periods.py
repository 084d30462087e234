"""Which days a settlement covers, per billing mode (customer calendar days, inclusive).

- Every settlement starts the day after the last day settled (the contract's start for the
  first one) and moves the account's ``settled_through`` to its last day, so settlements tile
  the contract's supply without a gap or an overlap, whatever the mode was.
- monthly_advance: the annual settlement covers the year up to the day before the contract's
  anniversary (the first anniversary after the period's first day); it is due once that
  anniversary has come. A contract that started on 29 February has its anniversary on 28
  February in other years.
- quarterly: up to the end of the calendar quarter of the period's first day; due once the
  quarter has ended.
- on_reading: up to the day of the reading (use_cases/settlements.py).
- final: up to the contract's end date.
"""

from __future__ import annotations

from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def period_start(settled_through: date | None, contract_start: date) -> date:
    """The first day the next settlement covers."""
    return settled_through + ONE_DAY if settled_through is not None else contract_start


def anniversary(contract_start: date, year: int) -> date:
    try:
        return contract_start.replace(year=year)
    except ValueError:  # 29 February in a year without one
        return date(year, 2, 28)


def annual_period_end(contract_start: date, first_day: date) -> date:
    """The day before the contract's first anniversary after ``first_day``."""
    upcoming = anniversary(contract_start, first_day.year)
    if upcoming <= first_day:
        upcoming = anniversary(contract_start, first_day.year + 1)
    return upcoming - ONE_DAY


def quarter_end(day: date) -> date:
    """The last day of ``day``'s calendar quarter."""
    first_month_of_next = (day.month - 1) // 3 * 3 + 4
    if first_month_of_next > 12:
        return date(day.year, 12, 31)
    return date(day.year, first_month_of_next, 1) - ONE_DAY


def annual_through(contract_start: date, first_day: date, end_date: date | None, today: date) -> date | None:
    """The last day of the annual settlement due on ``today``; None when the anniversary has
    not come yet or the contract ends within the year (its final settlement covers it)."""
    through = annual_period_end(contract_start, first_day)
    if through >= today or (end_date is not None and end_date <= through):
        return None
    return through


def quarter_through(first_day: date, end_date: date | None, today: date) -> date | None:
    """The last day of the quarterly invoice due on ``today``; None while the quarter runs or
    when the contract ends within it (its final settlement covers it)."""
    through = quarter_end(first_day)
    if through >= today or (end_date is not None and end_date <= through):
        return None
    return through
