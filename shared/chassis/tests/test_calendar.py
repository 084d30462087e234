"""Customer days in Europe/Amsterdam, including the 23- and 25-hour daylight-saving days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal_chassis.calendar import calendar_day, end_of_day, start_of_day

AMS = ZoneInfo("Europe/Amsterdam")
SPRING = date(2026, 3, 29)  # 02:00 CET -> 03:00 CEST
AUTUMN = date(2026, 10, 25)  # 03:00 CEST -> 02:00 CET


def test_an_ordinary_winter_and_summer_day() -> None:
    assert start_of_day(date(2026, 1, 15), AMS) == datetime(2026, 1, 14, 23, tzinfo=UTC)
    assert start_of_day(date(2026, 7, 15), AMS) == datetime(2026, 7, 14, 22, tzinfo=UTC)
    assert end_of_day(date(2026, 7, 15), AMS) - start_of_day(date(2026, 7, 15), AMS) == timedelta(hours=24)


def test_the_day_summer_time_starts_has_23_hours() -> None:
    start, end = start_of_day(SPRING, AMS), end_of_day(SPRING, AMS)
    assert start == datetime(2026, 3, 28, 23, tzinfo=UTC)  # midnight CET
    assert end == datetime(2026, 3, 29, 22, tzinfo=UTC)  # midnight CEST
    assert end - start == timedelta(hours=23)
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert calendar_day(start, AMS) == SPRING
    assert calendar_day(end - timedelta(microseconds=1), AMS) == SPRING
    assert calendar_day(end, AMS) == date(2026, 3, 30)


def test_the_day_summer_time_ends_has_25_hours() -> None:
    start, end = start_of_day(AUTUMN, AMS), end_of_day(AUTUMN, AMS)
    assert start == datetime(2026, 10, 24, 22, tzinfo=UTC)  # midnight CEST
    assert end == datetime(2026, 10, 25, 23, tzinfo=UTC)  # midnight CET
    assert end - start == timedelta(hours=25)
    # Both 02:30s of that night are the same customer day.
    assert calendar_day(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), AMS) == AUTUMN
    assert calendar_day(datetime(2026, 10, 25, 1, 30, tzinfo=UTC), AMS) == AUTUMN
    assert calendar_day(end - timedelta(microseconds=1), AMS) == AUTUMN


def test_today_is_the_customers_day_not_the_utc_day() -> None:
    late_utc_evening = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert calendar_day(late_utc_evening, AMS) == date(2027, 1, 1)
    assert calendar_day(late_utc_evening, ZoneInfo("America/New_York")) == date(2026, 12, 31)


def test_a_day_that_starts_at_one_oclock() -> None:
    # Chile moves its clocks forward at midnight, so one day a year has no 00:00 and begins at
    # 01:00. The day is found in the time-zone data rather than hard-coded: Chile's rules change.
    santiago = ZoneInfo("America/Santiago")

    def noon_offset(day: date) -> timedelta:
        offset = datetime(day.year, day.month, day.day, 12, tzinfo=santiago).utcoffset()
        assert offset is not None
        return offset

    days = [date(2026, 1, 2) + timedelta(days=n) for n in range(730)]
    gap_day = next(day for day in days if noon_offset(day) > noon_offset(day - timedelta(days=1)))
    start = start_of_day(gap_day, santiago)
    assert start.astimezone(santiago).hour == 1
    assert calendar_day(start, santiago) == gap_day
    assert calendar_day(start - timedelta(microseconds=1), santiago) == gap_day - timedelta(days=1)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        calendar_day(datetime(2026, 3, 29, 12), AMS)  # noqa: DTZ001 - naive on purpose
