"""Customer calendar days (Europe/Amsterdam unless configured) as instants in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def start_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Local midnight of ``day`` in UTC (midnight exists every day: DST shifts at 02:00/03:00)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """The first instant after ``day``; a daylight-saving day is 23 or 25 hours long."""
    return start_of_day(day + timedelta(days=1), zone)


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
