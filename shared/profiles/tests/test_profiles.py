"""The standard load profiles: BDEW H0 daily shares (demandlib, cached per year) and monthly tables."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal_profiles import PRECISION, BdewH0, h0_year, normalised

D = Decimal


@pytest.mark.parametrize("year", [2025, 2026, 2028])
def test_a_years_daily_shares_add_up_to_exactly_one(year: int) -> None:
    shares = h0_year(year)
    assert sum(shares) == D("1.000000000000")
    assert all(share == share.quantize(PRECISION) and share > 0 for share in shares)


def test_a_leap_year_has_366_shares_and_a_common_year_365() -> None:
    assert (len(h0_year(2028)), len(h0_year(2026))) == (366, 365)
    assert BdewH0().fraction(date(2028, 2, 29)) == h0_year(2028)[59]


def test_h0_weighs_winter_days_more_than_summer_days() -> None:
    h0 = BdewH0()
    # Same weekday (Wednesday), no holiday: mid-January against mid-July.
    assert h0.fraction(date(2026, 1, 14)) > h0.fraction(date(2026, 7, 15)) * D("1.3")
    assert h0.share(date(2025, 12, 31), date(2026, 1, 31)) > h0.share(date(2026, 6, 30), date(2026, 7, 31))


def test_weekends_and_dutch_holidays_weigh_like_sundays() -> None:
    h0 = BdewH0()
    # 2026-04-27 (King's Day) is a Monday; the Monday after is an ordinary working day, the
    # Sunday before a Sunday.
    kings_day, sunday, monday = date(2026, 4, 27), date(2026, 4, 26), date(2026, 5, 4)
    assert h0.fraction(kings_day) != h0.fraction(monday)
    assert abs(h0.fraction(kings_day) - h0.fraction(sunday)) < abs(
        h0.fraction(kings_day) - h0.fraction(monday)
    )


@pytest.mark.parametrize(
    ("after", "through"),
    [
        (date(2026, 6, 30), date(2026, 12, 31)),
        (date(2026, 10, 20), date(2027, 3, 14)),  # across a new year: each year its own shares
        (date(2027, 12, 31), date(2028, 12, 31)),  # a whole leap year
        (date(2026, 5, 1), date(2026, 5, 1)),  # no day
    ],
)
def test_a_spans_share_is_the_sum_of_its_days(after: date, through: date) -> None:
    h0 = BdewH0()
    days = [after + timedelta(days=n) for n in range(1, (through - after).days + 1)]
    assert h0.share(after, through) == sum((h0.fraction(day) for day in days), D(0))


def test_a_whole_year_span_is_one() -> None:
    assert BdewH0().share(date(2025, 12, 31), date(2026, 12, 31)) == 1


def test_years_are_computed_once() -> None:
    h0_year(2026)
    before = h0_year.cache_info()
    assert h0_year(2026) is h0_year(2026)
    after = h0_year.cache_info()
    assert (after.hits - before.hits, after.misses - before.misses) == (2, 0)


def test_normalising_puts_the_rounding_remainder_on_the_largest_day() -> None:
    shares = normalised([1.0, 1.0, 1.0])
    assert sum(shares) == 1
    assert sorted(shares) == [D("0.333333333333"), D("0.333333333333"), D("0.333333333334")]
