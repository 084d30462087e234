"""Estimates outside the tests' worked examples use the standard load profiles."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.domain.estimates import FlatProfile, StandardProfile


@pytest.mark.parametrize("commodity", ["electricity", "gas", "heat"])
def test_a_whole_year_is_the_whole_volume(commodity: str) -> None:
    assert StandardProfile().share(commodity, date(2025, 12, 31), date(2026, 12, 31)) == 1


@pytest.mark.parametrize("commodity", ["electricity", "gas"])
def test_january_weighs_more_than_july(commodity: str) -> None:
    profile = StandardProfile()
    january = profile.share(commodity, date(2025, 12, 31), date(2026, 1, 31))
    july = profile.share(commodity, date(2026, 6, 30), date(2026, 7, 31))
    flat_month = FlatProfile().share(commodity, date(2025, 12, 31), date(2026, 1, 31))
    assert january > flat_month > july


def test_no_days_no_share() -> None:
    assert StandardProfile().share("gas", date(2026, 3, 1), date(2026, 3, 1)) == Decimal(0)
