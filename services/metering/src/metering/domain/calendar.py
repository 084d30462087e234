"""How metering's API reads and writes moments (customer days: portal_chassis.calendar)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from portal_chassis.calendar import start_of_day


def as_instant(moment: datetime | date, zone: ZoneInfo) -> datetime:
    """An aware datetime as UTC; a bare date as the start of that customer day."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware one or a date")
        return moment.astimezone(UTC)
    return start_of_day(moment, zone)


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, the way the API writes every time."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
