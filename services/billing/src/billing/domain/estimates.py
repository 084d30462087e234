"""Estimates: how much a register counts on days nobody read it.

A settlement whose period ends after the last reading needs the index on its last day. It is
estimated as the last known index plus the contract's expected annual consumption of that
register times the share of a year's volume that falls on the days in between:

    estimate = last index + expected a year x profile.share(commodity, last reading day, end)

The share comes from a ``Profile``: ``StandardProfile`` (the standard load profiles, more in
winter, less in summer) unless a caller passes another; ``FlatProfile`` spreads a year evenly
over its days and keeps hand-worked examples simple.
"""

from __future__ import annotations

from calendar import isleap
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from portal_profiles import GAS_PROFILE, BdewH0, MonthlyTable

# Meters count kWh, m3 and GJ to three decimals; estimated and prorated quantities are kept
# to the same precision (rounded half-up).
QUANTITY = Decimal("0.001")


class Profile(Protocol):
    def share(self, commodity: str, after: date, through: date) -> Decimal:
        """The fraction of a year's volume of ``commodity`` used on the days after ``after``
        up to and including ``through`` (0 when ``through`` is not after ``after``)."""
        ...


@dataclass(frozen=True)
class FlatProfile:
    """Every day of a calendar year weighs the same: a day is 1/365 of a year (1/366 in a
    leap year), whatever the commodity."""

    def share(self, commodity: str, after: date, through: date) -> Decimal:
        total = Decimal(0)
        first = after + timedelta(days=1)
        while first <= through:
            last = min(date(first.year, 12, 31), through)
            days_in_year = 366 if isleap(first.year) else 365
            total += Decimal((last - first).days + 1) / days_in_year
            first = last + timedelta(days=1)
        return total


@dataclass(frozen=True)
class StandardProfile:
    """The standard load profiles the termination fee uses too (portal_profiles): electricity
    by the BDEW H0 household profile per day of the actual year, gas and heat by the monthly
    gas table (both follow the heating season)."""

    def share(self, commodity: str, after: date, through: date) -> Decimal:
        if through <= after:
            return Decimal(0)
        if commodity == "electricity":
            return BdewH0().share(after, through)
        return MonthlyTable(GAS_PROFILE).share(after, through)


def standard_profile() -> Profile:
    """The profile settlements use unless a caller passes another one."""
    return StandardProfile()


def commodity_of(register: str) -> str:
    """The commodity a register measures: feed-in is electricity, hot tap water comes with heat."""
    if register.startswith(("electricity_", "feed_in_")):
        return "electricity"
    if register in ("heat", "hot_water"):
        return "heat"
    return register


def estimated_use(expected_a_year: Decimal | None, share: Decimal) -> Decimal:
    """The use on the days a share covers: expected a year x share, to the thousandth. Without
    an expected consumption nothing is added (the last index stands, still an estimate)."""
    if expected_a_year is None:
        return Decimal("0.000")
    return (expected_a_year * share).quantize(QUANTITY, ROUND_HALF_UP)
