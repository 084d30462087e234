"""The termination fee, worked out by hand.

Most examples use TEST_PROFILE: January and December 0.10 of the annual volume, every other
month 0.08 (10 x 0.08 + 2 x 0.10 = 1). VAT is 21 %. The contract is a 24-month fixed
electricity contract at 0.30 EUR/kWh (single register); FakeTariffs offers the same type at
0.25, so the gap is 0.05 EUR/kWh unless a test says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from contracts.domain.termination_fee import (
    FeeBasis,
    FeeQuote,
    FeeTerms,
    PriceSource,
    Register,
    RegisterTerms,
    adjusted,
    termination_fee,
)
from contracts.settings import ContractsSettings
from portal_profiles import MonthlyTable, check_profile, day_share, year_share

D = Decimal
TEST_PROFILE = (D("0.10"),) + (D("0.08"),) * 10 + (D("0.10"),)
VAT = D("0.21")


@dataclass
class Offer:
    commodity: str
    kind: str
    months: int | None
    register: Register
    price: Decimal


@dataclass
class FakeTariffs:
    """A TariffLookup over a fixed list of offers (valid on every day)."""

    offers: list[Offer] = field(default_factory=list)

    def current_unit_price(
        self, *, commodity: str, kind: str | None, duration_months: int | None, register: Register, on: date
    ) -> Decimal | None:
        found = [
            o.price
            for o in self.offers
            if o.commodity == commodity
            and o.register == register
            and (kind is None or o.kind == kind)
            and (duration_months is None or o.months == duration_months)
        ]
        return max(found) if found else None


def same_type(
    price: str = "0.25", register: Register = Register.SINGLE, commodity: str = "electricity"
) -> Offer:
    return Offer(commodity, "fixed", 24, register, D(price))


def single(annual: str = "3000", price: str = "0.30") -> tuple[RegisterTerms, ...]:
    return (RegisterTerms(Register.SINGLE, D(price), D(annual)),)


def fixed(
    term_end: date,
    *,
    commodity: str = "electricity",
    concluded: date = date(2025, 1, 1),
    registers: tuple[RegisterTerms, ...] | None = None,
    free_before: date | None = None,
) -> FeeTerms:
    if registers is None:
        registers = single() if commodity != "gas" else (RegisterTerms(Register.GAS, D("1.30"), D("1234")),)
    return FeeTerms(
        commodity=commodity,
        fixed_term_end=term_end,
        concluded_on=concluded,
        duration_months=24,
        registers=registers,
        free_termination_before=free_before,
    )


def fee(
    terms: FeeTerms,
    end: date,
    tariffs: FakeTariffs | None = None,
    requested: date = date(2026, 3, 1),
) -> FeeQuote:
    return termination_fee(
        terms,
        end_date=end,
        requested_on=requested,
        withdrawal_days=14,
        vat_rate=VAT,
        tariffs=tariffs or FakeTariffs([same_type()]),
        profile=MonthlyTable(TEST_PROFILE),
    )


def gap(price_now: str) -> FakeTariffs:
    return FakeTariffs([same_type(price_now)])


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
    # (contract 1.30 EUR/m3, same type today 1.175)
    today = FakeTariffs([same_type("1.175", Register.GAS, "gas")])
    quote = fee(fixed(date(2026, 12, 31), commodity="gas"), date(2026, 9, 30), today)
    assert quote.amount_excl_vat == D("40.11")
    assert quote.vat == D("8.42")
    assert quote.total == D("48.53")


def test_vat_rounds_half_up_on_the_rounded_amount() -> None:
    # February + March left: 0.08 + 0.08 = 0.16; 2500 x 0.16 = 400 kWh; 400 x 0.02625 = 10.50
    # VAT 10.50 x 0.21 = 2.205 -> 2.21 (half-even would give 2.20); total 12.71. Days 28 + 31.
    # (contract 0.30, same type today 0.27375: gap 0.02625)
    quote = fee(fixed(date(2026, 3, 31), registers=single("2500")), date(2026, 1, 31), gap("0.27375"))
    assert quote.remaining_days == 59
    assert (quote.amount_excl_vat, quote.vat, quote.total) == (D("10.50"), D("2.21"), D("12.71"))


def test_across_new_year_and_a_leap_february() -> None:
    # Supply ends 2027-12-31, term ends 2028-02-14 (2028 is a leap year: February has 29 days).
    # January 0.10 x 2900 = 290 kWh; 1..14 February: 2900 x 0.08 x 14/29 = 112 kWh; 402 kWh.
    # 402 x 0.05 = 20.10; VAT 4.221 -> 4.22; total 24.32. Days 31 + 14 = 45.
    quote = fee(fixed(date(2028, 2, 14), registers=single("2900")), date(2027, 12, 31))
    assert quote.remaining_days == 45
    assert abs(quote.remaining_volume - D("402")) < D("1e-20")
    assert quote.total == D("24.32")


def test_a_contract_not_yet_supplying_still_costs_a_fee() -> None:
    # Concluded 2026-01-01, supply 2026-04-01 .. 2027-03-31, ended after April 2026:
    # May..November 7 x 0.08 = 0.56, December 0.10, January 0.10, February and March 0.16
    # -> 0.92; 1000 x 0.92 = 920 kWh; 920 x 0.05 = 46.00; VAT 9.66; total 55.66.
    terms = fixed(date(2027, 3, 31), concluded=date(2026, 1, 1), registers=single("1000"))
    quote = fee(terms, date(2026, 4, 30), requested=date(2026, 2, 1))
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
    heat = fixed(date(2026, 12, 31), commodity="heat")
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
    # Contract 0.30, same type today 0.33: gap -0.03 counts as 0.
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 9, 30), gap("0.33"))
    assert quote.basis is FeeBasis.EARLY_TERMINATION
    assert quote.total == D("0.00")


def test_year_share_of_a_full_year_is_one() -> None:
    assert year_share(date(2025, 12, 31), date(2026, 12, 31), TEST_PROFILE) == 1


def test_default_profiles_add_up_to_one() -> None:
    settings = ContractsSettings(database_url="sqlite+aiosqlite://")
    for table in (settings.fee_electricity_profile, settings.fee_gas_profile):
        assert sum(table) == 1


@pytest.mark.parametrize(
    "profile",
    [(D("0.5"), D("0.5")), (D("0.1"),) * 12, (D("-0.1"), D("0.3")) + (D("0.08"),) * 10],
)
def test_bad_profiles_are_refused(profile: tuple[Decimal, ...]) -> None:
    with pytest.raises(ValueError):
        check_profile(profile)


def test_normal_and_off_peak_are_worked_out_separately() -> None:
    # Normal: 2000 kWh/yr at 0.32, today 0.26 -> gap 0.06; off-peak: 1500 kWh/yr at 0.28,
    # today 0.25 -> gap 0.03. October..December left: share 0.26.
    # normal 2000 x 0.26 = 520 kWh x 0.06 = 31.20; off-peak 1500 x 0.26 = 390 kWh x 0.03 = 11.70
    # amount 42.90; VAT 42.90 x 0.21 = 9.009 -> 9.01; total 51.91; volume 520 + 390 = 910
    registers = (
        RegisterTerms(Register.NORMAL, D("0.32"), D("2000")),
        RegisterTerms(Register.OFF_PEAK, D("0.28"), D("1500")),
    )
    today = FakeTariffs([same_type("0.26", Register.NORMAL), same_type("0.25", Register.OFF_PEAK)])
    quote = fee(fixed(date(2026, 12, 31), registers=registers), date(2026, 9, 30), today)
    assert [line.amount for line in quote.registers] == [D("31.20"), D("11.70")]
    assert quote.remaining_volume == D("910")
    assert (quote.amount_excl_vat, quote.vat, quote.total) == (D("42.90"), D("9.01"), D("51.91"))


def test_a_negative_register_does_not_offset_another() -> None:
    # As above, but off-peak costs 0.30 today (gap -0.02 -> 0): only normal's 31.20 counts.
    # VAT 31.20 x 0.21 = 6.552 -> 6.55; total 37.75
    registers = (
        RegisterTerms(Register.NORMAL, D("0.32"), D("2000")),
        RegisterTerms(Register.OFF_PEAK, D("0.28"), D("1500")),
    )
    today = FakeTariffs([same_type("0.26", Register.NORMAL), same_type("0.30", Register.OFF_PEAK)])
    quote = fee(fixed(date(2026, 12, 31), registers=registers), date(2026, 9, 30), today)
    assert quote.registers[1].amount == 0
    assert quote.total == D("37.75")


def test_same_type_wins_over_other_offers() -> None:
    # Same type (fixed, 24 months) 0.25; a variable contract at 0.20 and a 12-month one at
    # 0.22 are ignored: gap 0.05 -> 47.19 as in test_whole_months_left.
    today = FakeTariffs(
        [
            same_type("0.25"),
            Offer("electricity", "variable", None, Register.SINGLE, D("0.20")),
            Offer("electricity", "fixed", 12, Register.SINGLE, D("0.22")),
        ]
    )
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 9, 30), today)
    assert quote.registers[0].price_source is PriceSource.SAME_TYPE
    assert quote.total == D("47.19")


def test_no_same_type_falls_back_to_the_same_duration() -> None:
    # No fixed 24-month offer; a "dynamic" 24-month contract costs 0.27 (gap 0.03) and a
    # 12-month fixed one 0.20 (other duration: ignored).
    # 780 kWh (as in test_whole_months_left) x 0.03 = 23.40; VAT 4.914 -> 4.91; total 28.31
    today = FakeTariffs(
        [
            Offer("electricity", "dynamic", 24, Register.SINGLE, D("0.27")),
            Offer("electricity", "fixed", 12, Register.SINGLE, D("0.20")),
        ]
    )
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 9, 30), today)
    assert quote.registers[0].price_source is PriceSource.SAME_DURATION
    assert quote.total == D("28.31")


def test_no_same_duration_falls_back_to_the_highest_tariff() -> None:
    # Offered: 12 months at 0.20 and variable at 0.28; the highest is 0.28 (gap 0.02).
    # 780 kWh x 0.02 = 15.60; VAT 3.276 -> 3.28; total 18.88
    today = FakeTariffs(
        [
            Offer("electricity", "fixed", 12, Register.SINGLE, D("0.20")),
            Offer("electricity", "variable", None, Register.SINGLE, D("0.28")),
            Offer("gas", "fixed", 24, Register.GAS, D("9.99")),  # another commodity: ignored
        ]
    )
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 9, 30), today)
    assert quote.registers[0].price_source is PriceSource.HIGHEST_OFFERED
    assert quote.total == D("18.88")


def test_nothing_offered_for_the_register_costs_nothing() -> None:
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 9, 30), FakeTariffs([]))
    assert quote.registers == ()
    assert quote.total == D("0.00")


def test_a_mid_month_end_counts_the_days_left() -> None:
    # TEST_PROFILE, supply ends 2026-10-20: 21..31 October = 11 days x 0.08/31, then
    # November 0.08 and December 0.10. 3100 kWh/yr: October 3100 x 0.08 x 11/31 = 88 kWh,
    # November 248, December 310 -> 646 kWh x 0.05 = 32.30; VAT 6.783 -> 6.78; total 39.08
    quote = fee(fixed(date(2026, 12, 31), registers=single("3100")), date(2026, 10, 20))
    assert quote.remaining_days == 11 + 30 + 31
    assert quote.remaining_volume == D("646")
    assert quote.total == D("39.08")
    assert abs(day_share(date(2026, 10, 21), TEST_PROFILE) * 31 - D("0.08")) < D("1e-20")


def test_ending_before_an_announced_change_takes_effect_is_free() -> None:
    # A price change takes effect on 2026-04-01: asking on 2026-03-31 is free (reason kept),
    # asking on 2026-04-01 costs the normal fee (47.19, as in test_whole_months_left).
    terms = fixed(date(2026, 12, 31), free_before=date(2026, 4, 1))
    before = fee(terms, date(2026, 9, 30), requested=date(2026, 3, 31))
    after = fee(terms, date(2026, 9, 30), requested=date(2026, 4, 1))
    assert before.basis is FeeBasis.UNILATERAL_CHANGE
    assert before.total == D("0.00")
    assert not before.depends_on_end_date
    assert after.total == D("47.19")


def test_an_adjustment_lowers_the_fee_and_never_raises_it() -> None:
    # 39.00 excl. VAT (test_whole_months_left) lowered to 20.00: VAT 4.20, total 24.20.
    quote = fee(fixed(date(2026, 12, 31)), date(2026, 9, 30))
    lower = adjusted(quote, D("20.00"), VAT)
    assert (lower.basis, lower.amount_excl_vat, lower.vat, lower.total) == (
        FeeBasis.ADJUSTED,
        D("20.00"),
        D("4.20"),
        D("24.20"),
    )
    assert adjusted(quote, D("50.00"), VAT) is quote  # a higher "adjustment" changes nothing
    assert adjusted(quote, D("0"), VAT).total == D("0.00")  # waived
