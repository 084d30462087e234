"""The calendar of the consumption views: DST days, months, coverage, labels."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from metering.domain.consumption_periods import (
    coverage,
    day_span,
    day_spans,
    month_span,
    next_month,
    sub_day_spans,
    year_span,
)
from metering.domain.consumption_series import decimal_text

AMS = ZoneInfo("Europe/Amsterdam")


def full(first: date, end: date):  # coverage of whole days [first, end)
    return coverage([(first, None)], supply_start=first, supply_end=None, today=end, zone=AMS)


def test_days_clocks_change_have_23_and_25_hours() -> None:
    cover = full(date(2026, 1, 1), date(2026, 12, 31))
    spring, autumn, plain = (
        day_span(date(2026, 3, 29), AMS),
        day_span(date(2026, 10, 25), AMS),
        day_span(date(2026, 6, 1), AMS),
    )
    assert (spring.minutes, autumn.minutes, plain.minutes) == (23 * 60, 25 * 60, 24 * 60)
    assert [cover.expected(s, 15) for s in (spring, autumn, plain)] == [92, 100, 96]
    assert [cover.expected(s, 60) for s in (spring, autumn, plain)] == [23, 25, 24]
    assert spring.start == datetime(2026, 3, 28, 23, tzinfo=UTC)  # local midnight at +01:00
    assert autumn.start == datetime(2026, 10, 24, 22, tzinfo=UTC)  # local midnight at +02:00


def test_hours_of_dst_days_are_labelled_with_their_offset() -> None:
    spring = [s.label for s in sub_day_spans(date(2026, 3, 29), 60, AMS)]
    assert len(spring) == 23
    assert spring[1:3] == ["2026-03-29T01:00:00+01:00", "2026-03-29T03:00:00+02:00"]  # 02:00 never was
    autumn = [s.label for s in sub_day_spans(date(2026, 10, 25), 60, AMS)]
    assert len(autumn) == 25
    assert autumn[2:4] == ["2026-10-25T02:00:00+02:00", "2026-10-25T02:00:00+01:00"]  # twice
    assert len(sub_day_spans(date(2026, 10, 25), 15, AMS)) == 100


def test_month_and_year_expected_intervals_follow_the_calendar() -> None:
    cover = full(date(2024, 1, 1), date(2027, 1, 1))
    march = month_span(date(2026, 3, 1), AMS)
    assert cover.expected(march, 15) == 31 * 96 - 4  # one hour less
    october = month_span(date(2026, 10, 1), AMS)
    assert cover.expected(october, 15) == 31 * 96 + 4
    assert cover.expected(year_span(2024, AMS), 60) == 366 * 24  # a leap year
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)
    assert [s.label for s in day_spans(date(2026, 2, 27), date(2026, 3, 2), AMS)] == [
        "2026-02-27",
        "2026-02-28",
        "2026-03-01",
    ]


def test_coverage_is_the_supply_while_a_meter_was_placed_up_to_today() -> None:
    cover = coverage(
        [(date(2026, 3, 10), date(2026, 6, 15)), (date(2026, 6, 15), None)],  # an exchange
        supply_start=date(2026, 3, 1),
        supply_end=date(2026, 9, 30),
        today=date(2026, 11, 23),
        zone=AMS,
    )
    assert cover.ranges == ((datetime(2026, 3, 9, 23, tzinfo=UTC), datetime(2026, 9, 30, 22, tzinfo=UTC)),)
    assert cover.expected(day_span(date(2026, 3, 9), AMS), 15) == 0  # before the meter
    assert cover.expected(day_span(date(2026, 6, 15), AMS), 15) == 96  # the exchange day
    assert cover.expected(day_span(date(2026, 10, 1), AMS), 15) == 0  # after the supply
    future = coverage(
        [(date(2026, 1, 1), None)],
        supply_start=date(2026, 1, 1),
        supply_end=None,
        today=date(2026, 5, 5),
        zone=AMS,
    )
    assert future.expected(day_span(date(2026, 5, 5), AMS), 60) == 24  # today is expected
    assert future.expected(day_span(date(2026, 5, 6), AMS), 60) == 0  # tomorrow is not


def test_values_are_written_with_three_to_six_decimals() -> None:
    from decimal import Decimal

    assert decimal_text(Decimal("23")) == "23.000"
    assert decimal_text(Decimal("0.25")) == "0.250"
    assert decimal_text(Decimal("0.0001")) == "0.0001"
    assert decimal_text(Decimal("0.000001")) == "0.000001"
    assert decimal_text(Decimal("0")) == "0.000"
