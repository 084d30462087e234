"""The termination fee, worked out by hand.

Most examples use TEST_PROFILE: January and December 0.10 of the annual volume, every other
month 0.08 (10 x 0.08 + 2 x 0.10 = 1). VAT is 21 %.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.domain.termination_fee import (
    FeeBasis,
    FeeInputs,
    FeeQuote,
    FeeTerms,
    check_profile,
    termination_fee,
    year_share,
)
from contracts.settings import ContractsSettings

D = Decimal
TEST_PROFILE = (D("0.10"),) + (D("0.08"),) * 10 + (D("0.10"),)
VAT = D("0.21")


def inputs(annual: str = "3000", gap: str = "0.05") -> FeeInputs:
    return FeeInputs(annual_volume=D(annual), price_gap=D(gap), profile=TEST_PROFILE, vat_rate=VAT)


def fixed(term_end: date, *, commodity: str = "electricity", concluded: date = date(2025, 1, 1)) -> FeeTerms:
    return FeeTerms(commodity=commodity, fixed_term_end=term_end, concluded_on=concluded)


def fee(
    terms: FeeTerms,
    end: date,
    fee_inputs: FeeInputs | None = None,
    requested: date = date(2026, 3, 1),
) -> FeeQuote:
    return termination_fee(
        terms,
        end_date=end,
        requested_on=requested,
        withdrawal_days=14,
        inputs=fee_inputs or inputs(),
    )


def test_whole_months_left() -> None:
    # Term ends 2026-12-31, supply ends 2026-09-30: October, November, December remain.
    # share = 0.08 + 0.08 + 0.10 = 0.26; volume = 3000 kWh x 0.26 = 780 kWh
    # amount = 780 x 0.05 = 39.00; VAT = 39.00 x 0.21 = 8.19; total 47.19
    # remaining days = 31 + 30 + 31 = 92
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 9, 30))
    assert quote.basis is FeeBasis.EARLY_TERMINATION
    assert quote.remaining_days == 92
    assert quote.remaining_volume == D("780")
    assert (quote.amount_excl_vat, quote.vat, quote.total) == (D("39.00"), D("8.19"), D("47.19"))
    assert quote.depends_on_end_date  # provisional until supply has actually stopped


def test_part_of_a_month_counts_pro_rata() -> None:
    # Supply ends 2026-11-15: 16..30 November is 15 of 30 days -> 0.08 x 15/30 = 0.04,
    # plus December 0.10 -> share 0.14; 3000 x 0.14 = 420 kWh; 420 x 0.05 = 21.00;
    # VAT 21.00 x 0.21 = 4.41; total 25.41. Days: 15 + 31 = 46.
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 11, 15))
    assert quote.remaining_days == 46
    assert quote.remaining_volume == D("420")
    assert quote.total == D("25.41")


def test_amount_rounds_half_up_to_the_cent() -> None:
    # Gas, 1234 m3 a year, 0.125 EUR/m3 cheaper today, October..December left (0.26):
    # 1234 x 0.26 = 320.84 m3; 320.84 x 0.125 = 40.105 -> 40.11 (half-up; half-even gives 40.10)
    # VAT 40.11 x 0.21 = 8.4231 -> 8.42; total 48.53
    quote = fee(fixed(date(2026, 12, 31), commodity="gas"), date(2026, 9, 30), inputs("1234", "0.125"))
    assert quote.amount_excl_vat == D("40.11")
    assert quote.vat == D("8.42")
    assert quote.total == D("48.53")


def test_vat_rounds_half_up_on_the_rounded_amount() -> None:
    # February + March left: 0.08 + 0.08 = 0.16; 2500 x 0.16 = 400 kWh; 400 x 0.02625 = 10.50
    # VAT 10.50 x 0.21 = 2.205 -> 2.21 (half-even would give 2.20); total 12.71. Days 28 + 31.
    quote = fee(fixed(date(2026, 3, 31)), date(2026, 1, 31), inputs("2500", "0.02625"))
    assert quote.remaining_days == 59
    assert (quote.amount_excl_vat, quote.vat, quote.total) == (D("10.50"), D("2.21"), D("12.71"))


def test_across_new_year_and_a_leap_february() -> None:
    # Supply ends 2027-12-31, term ends 2028-02-14 (2028 is a leap year: February has 29 days).
    # January 0.10 x 2900 = 290 kWh; 1..14 February: 2900 x 0.08 x 14/29 = 112 kWh; 402 kWh.
    # 402 x 0.05 = 20.10; VAT 4.221 -> 4.22; total 24.32. Days 31 + 14 = 45.
    quote = fee(fixed(date(2028, 2, 14)), date(2027, 12, 31), inputs("2900"))
    assert quote.remaining_days == 45
    assert abs(quote.remaining_volume - D("402")) < D("1e-20")
    assert quote.total == D("24.32")


def test_a_contract_not_yet_supplying_still_costs_a_fee() -> None:
    # Concluded 2026-01-01, supply 2026-04-01 .. 2027-03-31, ended after April 2026:
    # May..November 7 x 0.08 = 0.56, December 0.10, January 0.10, February and March 0.16
    # -> 0.92; 1000 x 0.92 = 920 kWh; 920 x 0.05 = 46.00; VAT 9.66; total 55.66.
    terms = fixed(date(2027, 3, 31), concluded=date(2026, 1, 1))
    quote = fee(terms, date(2026, 4, 30), inputs("1000"), requested=date(2026, 2, 1))
    assert quote.total == D("55.66")


def test_indefinite_variable_contract_is_free() -> None:
    terms = FeeTerms(commodity="electricity", fixed_term_end=None, concluded_on=date(2025, 1, 1))
    quote = fee(terms, date(2026, 4, 1))
    assert quote.basis is FeeBasis.NO_FIXED_TERM
    assert quote.total == D("0.00")
    assert not quote.depends_on_end_date


@pytest.mark.parametrize("end", [date(2026, 12, 31), date(2027, 1, 15)])
def test_ending_on_or_after_the_term_end_is_free(end: date) -> None:
    quote = fee(fixed(date(2026, 12, 31)), end)
    assert quote.basis is FeeBasis.TERM_COMPLETED
    assert quote.total == D("0.00")


def test_heat_is_not_covered_by_the_conditions() -> None:
    # Settings give heat no fee inputs; even with inputs the commodity is not charged.
    heat = fixed(date(2026, 12, 31), commodity="heat")
    without = termination_fee(
        heat, end_date=date(2026, 6, 30), requested_on=date(2026, 3, 1), withdrawal_days=14, inputs=None
    )
    assert without.basis is FeeBasis.COMMODITY_NOT_COVERED
    quote = fee(heat, date(2026, 6, 30))
    assert quote.basis is FeeBasis.COMMODITY_NOT_COVERED
    assert quote.total == D("0.00")
    assert quote.remaining_days == 184


def test_withdrawal_period_is_free_and_ends_after_fourteen_days() -> None:
    # Concluded 2026-03-01: asking on 2026-03-15 (day 14) is free, on 2026-03-16 it is not.
    terms = fixed(date(2026, 12, 31), concluded=date(2026, 3, 1))
    within = fee(terms, date(2026, 9, 30), requested=date(2026, 3, 15))
    after = fee(terms, date(2026, 9, 30), requested=date(2026, 3, 16))
    assert within.basis is FeeBasis.WITHDRAWAL_PERIOD
    assert within.total == D("0.00")
    assert after.total == D("47.19")  # as in test_whole_months_left


def test_the_customer_is_never_paid() -> None:
    # Today's price is higher than the contract's: the gap is negative, the fee zero.
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 9, 30), inputs(gap="-0.03"))
    assert quote.basis is FeeBasis.EARLY_TERMINATION
    assert quote.total == D("0.00")


def test_year_share_of_a_full_year_is_one() -> None:
    assert year_share(date(2025, 12, 31), date(2026, 12, 31), TEST_PROFILE) == 1


def test_default_profiles_and_inputs() -> None:
    settings = ContractsSettings(database_url="sqlite+aiosqlite://")
    for commodity in ("electricity", "gas"):
        fee_inputs = settings.fee_inputs(commodity)
        assert fee_inputs is not None
        assert sum(fee_inputs.profile) == 1
    assert settings.fee_inputs("heat") is None


@pytest.mark.parametrize(
    "profile",
    [(D("0.5"), D("0.5")), (D("0.1"),) * 12, (D("-0.1"), D("0.3")) + (D("0.08"),) * 10],
)
def test_bad_profiles_are_refused(profile: tuple[Decimal, ...]) -> None:
    with pytest.raises(ValueError):
        check_profile(profile)
