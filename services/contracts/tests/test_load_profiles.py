"""The termination fee takes the standard load profile it is given (portal_profiles); the
flat profile below stands in for any profile in the fee's own arithmetic."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from contracts.domain.termination_fee import FeeBasis, FeeTerms, Register, RegisterTerms, termination_fee
from contracts.settings import ContractsSettings
from portal_profiles import BdewH0, MonthlyTable

D = Decimal


@dataclass(frozen=True)
class FlatProfile:
    """Every day of a year the same share."""

    def fraction(self, day: date) -> Decimal:
        return 1 / D(366 if calendar.isleap(day.year) else 365)

    def share(self, after: date, through: date) -> Decimal:
        days = (through - after).days
        return sum((self.fraction(after + timedelta(days=n)) for n in range(1, days + 1)), D(0))


class Tariffs:
    def current_unit_price(self, **_: object) -> Decimal | None:
        return D("0.25")


def test_the_fee_takes_the_profile_it_is_given() -> None:
    # 3650 kWh a year, flat profile, 73 days left: 730 kWh x (0.30 - 0.25) = 36.50
    terms = FeeTerms(
        commodity="electricity",
        fixed_term_end=date(2026, 12, 31),
        concluded_on=date(2025, 1, 1),
        duration_months=24,
        registers=(RegisterTerms(Register.SINGLE, D("0.30"), D("3650")),),
    )
    quote = termination_fee(
        terms,
        end_date=date(2026, 10, 19),
        requested_on=date(2026, 3, 1),
        withdrawal_days=14,
        vat_rate=D("0.21"),
        tariffs=Tariffs(),
        profile=FlatProfile(),
    )
    assert quote.basis is FeeBasis.EARLY_TERMINATION
    assert quote.amount_excl_vat == D("36.50")


def test_settings_choose_h0_for_electricity_and_the_table_for_gas() -> None:
    settings = ContractsSettings(database_url="sqlite+aiosqlite://")
    assert isinstance(settings.fee_profile("electricity"), BdewH0)
    assert settings.fee_profile("gas") == MonthlyTable(settings.fee_gas_profile)
    monthly = ContractsSettings(database_url="sqlite+aiosqlite://", fee_electricity_profile_source="monthly")
    assert monthly.fee_profile("electricity") == MonthlyTable(settings.fee_electricity_profile)
