"""When a self-reading contract is due for a reading. Pure: no I/O, no clock."""

from __future__ import annotations

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day where it is shorter (31 Aug + 6
    months is 28 or 29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_due_date(start_date: date, today: date, interval_months: int) -> date | None:
    """The latest of ``start_date + k * interval_months`` (k >= 1) on or before ``today``; None
    before the first one. Counted from the start each time, so a 31st stays the 31st where the
    month has one."""
    if today < start_date:
        return None
    months = (today.year - start_date.year) * 12 + today.month - start_date.month
    k = months // interval_months
    while k >= 1 and add_months(start_date, k * interval_months) > today:
        k -= 1
    return add_months(start_date, k * interval_months) if k >= 1 else None
