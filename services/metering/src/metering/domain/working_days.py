"""Working days: Monday to Friday, except Dutch public holidays. Pure: no clock, no I/O.

The holidays are the ``holidays`` package's calendar for the Netherlands (it computes the
moving feasts, such as Easter and Ascension Day, for any year).
"""

from __future__ import annotations

import functools
from collections.abc import Container
from datetime import date, timedelta

import holidays

COUNTRY = "NL"


@functools.cache
def _calendar() -> Container[date]:
    # Years are added on first lookup, so one calendar serves every date.
    return holidays.country_holidays(COUNTRY)


def is_working_day(day: date, days_off: Container[date] | None = None) -> bool:
    return day.weekday() < 5 and day not in (_calendar() if days_off is None else days_off)


def add_working_days(day: date, count: int, days_off: Container[date] | None = None) -> date:
    """The ``count``-th working day after ``day`` (``day`` itself never counts): a consent given
    on a Friday with 5 working days expects the data by the next Friday."""
    if count < 1:
        raise ValueError("count must be at least 1")
    current = day
    left = count
    while left:
        current += timedelta(days=1)
        if is_working_day(current, days_off):
            left -= 1
    return current
