"""Customers' calendar days: the day it is where the customer lives, not in UTC."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo


def calendar_day(moment: datetime, zone: ZoneInfo) -> date:
    if moment.tzinfo is None:
        raise ValueError("calendar_day needs an aware datetime")
    return moment.astimezone(zone).date()
