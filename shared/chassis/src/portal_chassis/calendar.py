"""Customers' calendar days: pure functions, no clock and no I/O.

A customer's day is the calendar day where the customer lives (the service's ``zone``,
Europe/Amsterdam unless configured), not the UTC day. It runs from local midnight to the next
local midnight, so the day daylight saving time starts has 23 hours and the day it ends 25.
Instants are aware datetimes; the ones returned here are in UTC.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def calendar_day(moment: datetime, zone: ZoneInfo) -> date:
    """The customer's calendar day at ``moment``; ``calendar_day(now, zone)`` is "today"."""
    if moment.tzinfo is None:
        raise ValueError("calendar_day needs an aware datetime")
    return moment.astimezone(zone).date()


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of the customer's ``day``, in UTC.

    Midnight with ``fold=0`` is that instant even in a zone whose clocks jump at midnight: a
    skipped 00:00 maps to the moment of the jump, a repeated one to its first occurrence.
    """
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant after the customer's ``day`` (the next day's start), in UTC."""
    return start_of_day(day + timedelta(days=1), zone)
