"""The BDEW H0 profile: the share of a year's electricity used on each day.

Electricity: the BDEW H0 household standard load profile, as demandlib implements it from
BDEW's published quarter-hour values, with the dynamisation BDEW prescribes for H0 (a
fourth-degree polynomial over the day of the year that weighs winter days more and summer
days less). It is the profile the German market settles households with, maintained in an
open library, and the same shape as the Dutch household profile (more in winter and on
weekends and holidays). It is worked out for the actual calendar year: weekdays, Saturdays
and Sundays differ, and Dutch public holidays (the ``holidays`` package) count as Sundays.

Each day's share is the sum of its 96 quarter hours, divided by the year's total so the days
of a year add up to exactly 1. The shares are Decimals with 12 decimal places (rounded half
even); what rounding leaves over (a few units of 1e-12) goes to the year's largest day, so
the sum is exactly 1. On 10,000 kWh a year that is a billionth of a kWh per day at most.

Gas: BDEW's gas profiles follow the daily temperature, so a fixed calendar needs a
temperature year. demandlib only ships German test reference years (DWD TRY 2010), none
for the Netherlands, so gas keeps a monthly table (``monthly.GAS_PROFILE``: the Dutch G1A
profile in a normal-temperature year, summed per month), each month's share spread evenly
over its days (``MonthlyTable``).

Computing a year takes a fraction of a second (pandas over 35,040 quarter hours), so the
shares are cached per year. demandlib and pandas are imported on first use only.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

PRECISION = Decimal("1e-12")  # the daily shares' quantum


class BdewH0:
    """The BDEW H0 household electricity profile (dynamised), per day of the actual year."""

    def fraction(self, day: date) -> Decimal:
        return h0_year(day.year)[day.timetuple().tm_yday - 1]

    def share(self, after: date, through: date) -> Decimal:
        """The sum of the daily shares of the days after ``after`` up to ``through``; each
        calendar year with its own shares."""
        total = Decimal(0)
        first = after + timedelta(days=1)
        while first <= through:
            last = min(date(first.year, 12, 31), through)
            year = h0_year(first.year)
            start = first.timetuple().tm_yday - 1
            total += sum(year[start : last.timetuple().tm_yday], Decimal(0))
            first = last + timedelta(days=1)
        return total


@lru_cache(maxsize=16)
def h0_year(year: int) -> tuple[Decimal, ...]:
    """The daily shares of ``year`` (365 or 366, 1 January first), adding up to exactly 1."""
    import holidays
    from demandlib import bdew

    days_off = holidays.country_holidays("NL", years=year)
    # demandlib switches warnings to errors while it builds the frame: keep that local.
    with warnings.catch_warnings():
        profile = bdew.ElecSlp(year, holidays=dict(days_off)).get_profiles("h0_dyn")["h0_dyn"]
    daily = profile.groupby(profile.index.date).sum()
    return normalised([float(value) for value in daily])


def normalised(values: Sequence[float]) -> tuple[Decimal, ...]:
    """``values`` as shares of their total, quantised to ``PRECISION``, adding up to exactly 1."""
    total = sum(values)
    shares = [(Decimal(value) / Decimal(total)).quantize(PRECISION, ROUND_HALF_EVEN) for value in values]
    largest = max(range(len(shares)), key=shares.__getitem__)
    shares[largest] += 1 - sum(shares, Decimal(0))
    return tuple(shares)
