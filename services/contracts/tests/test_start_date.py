"""Start of supply: 30 days to 6 months after the request (hand-checked dates)."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.domain.errors import InvalidStartDate
from contracts.domain.start_date import add_months, start_bounds, start_date


@pytest.mark.parametrize(
    ("requested", "earliest", "latest"),
    [
        (date(2026, 3, 10), date(2026, 4, 9), date(2026, 9, 10)),
        # 31 August + 6 months: February has no 31st, so its last day.
        (date(2026, 8, 31), date(2026, 9, 30), date(2027, 2, 28)),
        (date(2027, 8, 31), date(2027, 9, 30), date(2028, 2, 29)),  # 2028 is a leap year
        # 30 days from 31 January run through February (28 days in 2026, 29 in 2028).
        (date(2026, 1, 31), date(2026, 3, 2), date(2026, 7, 31)),
        (date(2028, 1, 31), date(2028, 3, 1), date(2028, 7, 31)),
        # Across the year end.
        (date(2026, 12, 15), date(2027, 1, 14), date(2027, 6, 15)),
    ],
)
def test_bounds(requested: date, earliest: date, latest: date) -> None:
    bounds = start_bounds(requested)
    assert (bounds.earliest, bounds.latest) == (earliest, latest)


def test_add_months_clamps_to_the_month_end() -> None:
    assert add_months(date(2026, 3, 31), 6) == date(2026, 9, 30)
    assert add_months(date(2028, 2, 29), 6) == date(2028, 8, 29)
    assert add_months(date(2026, 7, 15), 6) == date(2027, 1, 15)


def test_without_anything_supply_starts_30_days_after_the_request() -> None:
    assert start_date(date(2026, 3, 10)) == date(2026, 4, 9)


def test_the_day_after_the_current_contract_ends_when_within_six_months() -> None:
    assert start_date(date(2026, 3, 10), current_contract_end=date(2026, 6, 30)) == date(2026, 7, 1)
    # Ends the day before the last allowed start day: starts on that last day.
    assert start_date(date(2026, 3, 10), current_contract_end=date(2026, 9, 9)) == date(2026, 9, 10)


def test_a_current_contract_ending_after_six_months_starts_30_days_after_the_request() -> None:
    assert start_date(date(2026, 3, 10), current_contract_end=date(2026, 9, 10)) == date(2026, 4, 9)
    assert start_date(date(2026, 3, 10), current_contract_end=date(2027, 1, 1)) == date(2026, 4, 9)


def test_a_current_contract_ending_within_30_days_starts_on_the_earliest_day() -> None:
    assert start_date(date(2026, 3, 10), current_contract_end=date(2026, 3, 20)) == date(2026, 4, 9)


def test_a_chosen_date_within_the_bounds_wins() -> None:
    requested = date(2026, 3, 10)
    assert start_date(requested, desired=date(2026, 4, 9)) == date(2026, 4, 9)  # first day allowed
    assert start_date(requested, desired=date(2026, 9, 10)) == date(2026, 9, 10)  # last day allowed
    assert start_date(requested, desired=date(2026, 5, 1), current_contract_end=date(2026, 6, 30)) == date(
        2026, 5, 1
    )


@pytest.mark.parametrize("desired", [date(2026, 4, 8), date(2026, 9, 11), date(2026, 3, 10)])
def test_a_chosen_date_outside_the_bounds_is_refused_naming_them(desired: date) -> None:
    with pytest.raises(InvalidStartDate) as refused:
        start_date(date(2026, 3, 10), desired=desired)
    assert "2026-04-09" in refused.value.detail
    assert "2026-09-10" in refused.value.detail
    assert refused.value.field == "desired_start_date"
