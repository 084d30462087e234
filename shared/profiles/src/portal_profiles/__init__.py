"""Standard load profiles: the share of a year's energy used on given days.

The termination fee weighs the remaining days with them, and billing estimates a missing meter
index with them. ``BdewH0`` is the household electricity profile per day of the actual year;
``MonthlyTable`` spreads twelve monthly shares evenly over each month (gas, heat).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

from portal_profiles.bdew import PRECISION, BdewH0, h0_year, normalised
from portal_profiles.monthly import (
    ELECTRICITY_PROFILE,
    GAS_PROFILE,
    MonthlyProfile,
    MonthlyTable,
    check_profile,
    day_share,
    year_share,
)


class DailyProfile(Protocol):
    """The share of a year's volume used per day; the days of a year add up to 1."""

    def fraction(self, day: date) -> Decimal: ...

    def share(self, after: date, through: date) -> Decimal:
        """The sum of the fractions of the days after ``after`` up to and including
        ``through`` (a profile may add whole months at once to stay exact)."""
        ...


__all__ = [
    "ELECTRICITY_PROFILE",
    "GAS_PROFILE",
    "PRECISION",
    "BdewH0",
    "DailyProfile",
    "MonthlyProfile",
    "MonthlyTable",
    "check_profile",
    "day_share",
    "h0_year",
    "normalised",
    "year_share",
]
