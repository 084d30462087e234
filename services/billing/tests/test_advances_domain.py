"""The advance and billing-mode rules of domain/advances.py and domain/billing_modes.py, each
sum worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing.domain.advances import (
    AdvanceBounds,
    AdvanceOutOfBounds,
    PlannedAdvance,
    advance_line,
    advance_on,
    bounds_around,
    contract_year,
    first_of_next_month,
    last_of_month,
    next_period_start,
    recommended_advance,
    schedule_months,
)
from billing.domain.billing_modes import ModeChange, change_mode, mode_on
from billing.domain.invoice import compute_totals
from billing.domain.tariffs import TariffPeriod

D = Decimal


def tariff(
    prices: dict[str, str], fixed: str = "0.198347", vat: str = "0.21", commodity: str = "electricity"
) -> TariffPeriod:
    return TariffPeriod(
        product_code="VAST-3JR",
        commodity=commodity,
        valid_from=date(2025, 1, 1),
        valid_to=None,
        vat_rate=D(vat),
        unit_prices={register: D(price) for register, price in prices.items()},
        fixed_costs_per_day=D(fixed),
    )


def test_recommended_advance_single_register() -> None:
    # 2500 kWh x 0.247934 = 619.835; 365 days x 0.198347 = 72.396655; together 692.231655
    # incl. 21 % VAT: x 1.21 = 837.60030255; a month: / 12 = 69.800025... -> 70 euro
    advance = recommended_advance(
        {"electricity_single": D("2500")}, tariff({"electricity_single": "0.247934"})
    )
    assert advance == D("70.00")
    assert str(advance) == "70.00"


def test_recommended_advance_normal_and_off_peak() -> None:
    # 1800 kWh x 0.259504 = 467.1072; 1400 kWh x 0.236364 = 330.9096; fixed 72.396655
    # 467.1072 + 330.9096 + 72.396655 = 870.413455; x 1.21 = 1053.20028055; / 12 = 87.766...
    # -> 88 euro
    prices = {"electricity_normal": "0.259504", "electricity_offpeak": "0.236364"}
    expected = {"electricity_normal": D("1800"), "electricity_offpeak": D("1400")}
    assert recommended_advance(expected, tariff(prices)) == D("88.00")


def test_recommended_advance_gas() -> None:
    # 1200 m3 x 1.132231 = 1358.6772; + 72.396655 = 1431.073855; x 1.21 = 1731.59936455;
    # / 12 = 144.2999... -> 144 euro (rounded once, at the end)
    gas = tariff({"gas": "1.132231"}, commodity="gas")
    assert recommended_advance({"gas": D("1200")}, gas) == D("144.00")


@pytest.mark.parametrize(
    ("kwh", "euros"),
    [
        ("18", "2.00"),  # 18 x 1.00 / 12 = 1.5: a tie rounds up
        ("30", "3.00"),  # 2.5 -> 3 (half-even would give 2)
        ("17.99", "1.00"),  # 1.4991... -> 1
        ("0", "0.00"),  # nothing used, no fixed costs, no VAT
    ],
)
def test_recommended_advance_rounds_half_up_to_whole_euros(kwh: str, euros: str) -> None:
    plain = tariff({"electricity_single": "1.00"}, fixed="0", vat="0")
    assert recommended_advance({"electricity_single": D(kwh)}, plain) == D(euros)


def test_no_recommendation_without_tariff_consumption_or_price() -> None:
    single = tariff({"electricity_single": "0.247934"})
    assert recommended_advance({"electricity_single": D("2500")}, None) is None
    assert recommended_advance({}, single) is None
    # a register the tariff has no price for would leave that energy out
    assert recommended_advance({"electricity_normal": D("1800")}, single) is None


def test_bounds_are_percentages_of_the_recommendation_rounded_to_the_cent() -> None:
    # 50 % of 70 = 35.00; 300 % of 70 = 210.00
    assert bounds_around(D("70.00"), D(50), D(300)) == AdvanceBounds(D("35.00"), D("210.00"))
    # 33.333 % of 70 = 23.3331 -> 23.33; 12.5 % of 1 = 0.125 -> 0.13 (half-up)
    assert bounds_around(D("70.00"), D("33.333"), D(300)).minimum == D("23.33")
    assert bounds_around(D("1.00"), D("12.5"), D(300)).minimum == D("0.13")


def test_an_amount_on_a_bound_is_inside_one_cent_beyond_is_not() -> None:
    bounds = AdvanceBounds(D("35.00"), D("210.00"))
    bounds.check(D("35.00"))
    bounds.check(D("210.00"))
    with pytest.raises(AdvanceOutOfBounds) as low:
        bounds.check(D("34.99"))
    with pytest.raises(AdvanceOutOfBounds):
        bounds.check(D("210.01"))
    assert low.value.bounds == bounds
    assert str(low.value) == "The advance must be between 35.00 and 210.00 euro; 34.99 is not."


@pytest.mark.parametrize(
    ("today", "invoiced", "expected"),
    [
        (date(2026, 11, 24), set(), date(2026, 12, 1)),
        (date(2026, 11, 1), set(), date(2026, 12, 1)),  # the first of a month: still the next one
        (date(2026, 12, 31), set(), date(2027, 1, 1)),  # over the year end
        (date(2026, 11, 24), {date(2026, 12, 1)}, date(2027, 1, 1)),  # December is invoiced
        (date(2026, 11, 24), {date(2026, 12, 1), date(2027, 1, 1)}, date(2027, 2, 1)),
        (date(2026, 11, 24), {date(2027, 1, 1)}, date(2026, 12, 1)),  # only a gap-free run counts
    ],
)
def test_next_period_is_the_next_month_without_an_advance_invoice(
    today: date, invoiced: set[date], expected: date
) -> None:
    assert next_period_start(today, invoiced) == expected


def test_month_ends() -> None:
    assert first_of_next_month(date(2026, 2, 14)) == date(2026, 3, 1)
    assert last_of_month(date(2028, 2, 1)) == date(2028, 2, 29)  # a leap year
    assert last_of_month(date(2026, 12, 5)) == date(2026, 12, 31)
    assert last_of_month(date(9999, 12, 5)) == date(9999, 12, 31)  # the last month there is


def test_the_plan_in_force_is_the_latest_effective_on_or_before_the_day() -> None:
    plans = [PlannedAdvance(date(2026, 12, 1), D("85.00")), PlannedAdvance(date(2026, 1, 1), D("70.00"))]
    assert advance_on(plans, date(2025, 12, 31)) is None
    assert advance_on(plans, date(2026, 1, 1)) == plans[1]
    assert advance_on(plans, date(2026, 11, 30)) == plans[1]
    assert advance_on(plans, date(2026, 12, 1)) == plans[0]


def test_the_advance_line_carries_no_vat() -> None:
    line = advance_line(D("85.00"), date(2026, 12, 1))
    assert (line.kind, line.description, line.quantity, line.unit) == (
        "advance",
        "Monthly advance December 2026",
        D(1),
        None,
    )
    # 1 x 85.00 = 85.00 at 0 % VAT: VAT 0.00, total 85.00
    totals = compute_totals([line])
    assert (totals.excl_vat, totals.vat_total, totals.incl_vat) == (D("85.00"), D("0.00"), D("85.00"))
    assert [(v.rate, v.base, v.vat) for v in totals.vat] == [(D("0"), D("85.00"), D("0.00"))]


def test_a_mode_change_applies_from_its_day() -> None:
    assert mode_on("monthly_advance", "quarterly", date(2026, 12, 1), date(2026, 11, 30)) == "monthly_advance"
    assert mode_on("monthly_advance", "quarterly", date(2026, 12, 1), date(2026, 12, 1)) == "quarterly"
    assert mode_on("on_reading", None, None, date(2026, 12, 1)) == "on_reading"


def test_a_mode_request_waits_cancels_or_changes_nothing() -> None:
    dec = date(2026, 12, 1)
    assert change_mode("monthly_advance", None, "quarterly", dec) == ModeChange(
        "quarterly", "monthly_advance", dec, next_mode="quarterly"
    )
    # the same again, or the mode in force without anything pending: nothing to do
    assert change_mode("monthly_advance", "quarterly", "quarterly", dec) is None
    assert change_mode("monthly_advance", None, "monthly_advance", dec) is None
    # back to the current mode cancels the waiting change
    assert change_mode("monthly_advance", "quarterly", "monthly_advance", dec) == ModeChange(
        "monthly_advance", "quarterly", dec, next_mode=None
    )
    # another mode replaces the waiting one
    assert change_mode("monthly_advance", "quarterly", "on_reading", dec) == ModeChange(
        "on_reading", "quarterly", dec, next_mode="on_reading"
    )


def test_the_contract_year_runs_from_the_last_anniversary_to_the_day_before_the_next() -> None:
    start = date(2026, 3, 15)
    # Before the start and in the first year: from the start to 14 March 2027.
    assert contract_year(start, date(2026, 1, 10)) == (start, date(2027, 3, 14))
    assert contract_year(start, date(2027, 3, 14)) == (start, date(2027, 3, 14))
    # On the anniversary the next year begins.
    assert contract_year(start, date(2027, 3, 15)) == (date(2027, 3, 15), date(2028, 3, 14))
    # A start on 29 February has its anniversary on 28 February in other years.
    assert contract_year(date(2024, 2, 29), date(2026, 11, 24)) == (date(2026, 2, 28), date(2027, 2, 27))


def test_the_schedule_has_the_twelve_months_the_run_invoices_and_stops_at_the_end() -> None:
    # 15 March to 14 March: March (from the 15th) through February; March 2027 opens next year.
    months = schedule_months(date(2026, 3, 15), date(2027, 3, 14), None)
    assert (len(months), months[0], months[-1]) == (12, date(2026, 3, 1), date(2027, 2, 1))
    # A contract ending on 10 October is invoiced through October.
    ended = schedule_months(date(2026, 3, 15), date(2027, 3, 14), date(2026, 10, 10))
    assert ended[-1] == date(2026, 10, 1) and len(ended) == 8
