"""Profiles given as twelve monthly shares of a year's volume, each spread evenly over its month."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

# Share of the annual volume used in each month, January first; the shares sum to 1.
MonthlyProfile = tuple[Decimal, ...]

# Monthly shares of the annual volume (January first), rounded to 0.001 and each summing to
# exactly 1: the shape of the Dutch household profiles the grid operators register in C-AR
# (NEDU E1A electricity, G1A gas in a normal-temperature year), summed per month by hand.
# An approximation, not the published fractions: replace them with NEDU's yearly tables
# (or per-connection profiles from C-AR) when that feed exists. Each month's share is spread
# evenly over its days (MonthlyTable).
ELECTRICITY_PROFILE: MonthlyProfile = tuple(
    Decimal(v)
    for v in (
        "0.100",
        "0.088",
        "0.089",
        "0.078",
        "0.072",
        "0.066",
        "0.068",
        "0.071",
        "0.075",
        "0.086",
        "0.098",
        "0.109",
    )
)
GAS_PROFILE: MonthlyProfile = tuple(
    Decimal(v)
    for v in (
        "0.170",
        "0.150",
        "0.130",
        "0.080",
        "0.045",
        "0.030",
        "0.025",
        "0.025",
        "0.035",
        "0.070",
        "0.110",
        "0.130",
    )
)


def check_profile(profile: MonthlyProfile) -> None:
    if len(profile) != 12:
        raise ValueError("a monthly profile has 12 shares, January first")
    if any(share < 0 for share in profile):
        raise ValueError("profile shares cannot be negative")
    if abs(sum(profile, Decimal(0)) - 1) > Decimal("0.001"):
        raise ValueError("profile shares must add up to 1")


def day_share(day: date, profile: MonthlyProfile) -> Decimal:
    """The share of a year's volume used on one day: its month's share over the month's days."""
    return profile[day.month - 1] / calendar.monthrange(day.year, day.month)[1]


def year_share(after: date, through: date, profile: MonthlyProfile) -> Decimal:
    """Share of a year's volume used on the days after ``after`` up to ``through``.

    The sum of the daily shares; a whole month is added as its monthly share so the result
    carries no rounding from the division.
    """
    share = Decimal(0)
    day = after + timedelta(days=1)
    while day <= through:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        last = min(day.replace(day=days_in_month), through)
        covered = (last - day).days + 1
        month_share = profile[day.month - 1]
        share += month_share if covered == days_in_month else month_share * covered / days_in_month
        day = last + timedelta(days=1)
    return share


@dataclass(frozen=True)
class MonthlyTable:
    """A profile given as twelve monthly shares, each spread evenly over its month's days."""

    shares: MonthlyProfile

    def fraction(self, day: date) -> Decimal:
        return day_share(day, self.shares)

    def share(self, after: date, through: date) -> Decimal:
        return year_share(after, through, self.shares)
