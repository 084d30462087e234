"""Settlement arithmetic (domain/settlement.py, estimates.py, settlement_periods.py), worked
out by hand. Every sum in the comments is what the assertion below it checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from billing.domain.errors import SettlementError
from billing.domain.estimates import FlatProfile, commodity_of, estimated_use
from billing.domain.invoice import InvoiceLine, compute_totals
from billing.domain.settlement import (
    NET_METERING_ENDS,
    Index,
    MeterRead,
    RegisterUse,
    TerminationFee,
    read_through,
    register_uses,
    settlement_lines,
    spread,
    tariff_spans,
    termination_fee_line,
    termination_fee_of,
)
from billing.domain.settlement_periods import (
    annual_period_end,
    annual_through,
    period_start,
    quarter_end,
    quarter_through,
)
from billing.domain.tariffs import ProductChange, TariffPeriod
from portal_schemas.types import to_cents

D = Decimal
FLAT = FlatProfile()


def read(
    value: str,
    day: date,
    register: str = "electricity_normal",
    *,
    meter: str = "M-1",
    unit: str = "kWh",
    hour: int = 12,
    **kw: Any,
) -> MeterRead:
    moment = datetime.combine(day, time(hour), tzinfo=UTC)
    return MeterRead(meter, register, unit, D(value), moment, day, **kw)


def uses_of(
    reads: list[MeterRead],
    *,
    start: date = date(2026, 1, 1),
    end: date = date(2026, 12, 31),
    contract_start: date = date(2025, 1, 1),
    openings: Mapping[tuple[str, str], Index] | None = None,
    expected: Mapping[str, Decimal] | None = None,
    commodity: str = "electricity",
) -> dict[tuple[str | None, str], RegisterUse]:
    uses = register_uses(
        reads,
        commodity=commodity,
        contract_start=contract_start,
        start=start,
        end=end,
        openings=openings or {},
        expected=expected or {},
        profile=FLAT,
    )
    return {(u.meter_id, u.register_type): u for u in uses}


def tariff(first: date, until: date | None = None, product: str = "P", **kw: Any) -> TariffPeriod:
    fields: dict[str, Any] = {
        "commodity": "electricity",
        "vat_rate": D("0.21"),
        "unit_prices": {"electricity_normal": D("0.25"), "electricity_offpeak": D("0.20")},
        "fixed_costs_per_day": D("0.20"),
        "feed_in_compensation_per_kwh": D("0.05"),
        "feed_in_costs_per_kwh": D("0.01"),
    }
    return TariffPeriod(product_code=product, valid_from=first, valid_to=until, **{**fields, **kw})


# --- The profile and estimates ----------------------------------------------------------------


def test_the_flat_profile_gives_each_day_an_equal_share_of_its_year() -> None:
    # The days after 31 October through 31 December 2026: November 30 + December 31 = 61 days
    # of 365.
    assert FLAT.share("electricity", date(2026, 10, 31), date(2026, 12, 31)) == D(61) / 365
    # Across a year end each year counts its own days: 31 December 2027 (1 of 365) and January
    # 2028, a leap year (31 of 366).
    assert FLAT.share("gas", date(2027, 12, 30), date(2028, 1, 31)) == D(1) / 365 + D(31) / 366
    # A whole year is exactly 1; nothing after the end is 0.
    assert FLAT.share("gas", date(2025, 12, 31), date(2026, 12, 31)) == 1
    assert FLAT.share("gas", date(2026, 5, 1), date(2026, 5, 1)) == 0


def test_an_estimated_use_is_the_expected_volume_times_the_share() -> None:
    # 3650 kWh a year x 61/365 = 610 kWh; 1000 m3 x 61/365 = 167.1232... -> 167.123
    assert estimated_use(D(3650), D(61) / 365) == D("610.000")
    assert estimated_use(D(1000), D(61) / 365) == D("167.123")
    assert estimated_use(None, D(61) / 365) == D("0.000")  # no expected volume: nothing added
    assert [commodity_of(r) for r in ("feed_in_offpeak", "electricity_single", "gas", "hot_water")] == [
        "electricity",
        "electricity",
        "gas",
        "heat",
    ]


# --- Consumption per register -----------------------------------------------------------------


def test_use_is_closing_minus_opening_index_and_time_decides_the_order() -> None:
    reads = [
        read("1500.5", date(2026, 6, 1)),  # arrives out of order: time, not arrival, decides
        read("1000", date(2026, 1, 1)),
        read("2234.567", date(2026, 12, 31)),
        read("40", date(2026, 1, 1), "gas", unit="m3"),
        read("1234.5", date(2026, 12, 31), "gas", unit="m3"),
    ]
    uses = uses_of(reads)
    # electricity 2234.567 - 1000 = 1234.567 (the first reading of the period opens it);
    # gas 1234.5 - 40 = 1194.5. Both end on a real reading of the last day: not estimated.
    normal, gas = uses["M-1", "electricity_normal"], uses["M-1", "gas"]
    assert (normal.quantity, normal.estimated) == (D("1234.567"), False)
    assert (normal.opening, normal.closing) == (
        Index(D("1000"), date(2026, 1, 1), "read"),
        Index(D("2234.567"), date(2026, 12, 31), "read"),
    )
    assert (gas.quantity, gas.unit) == (D("1194.5"), "m3")


def test_the_period_opens_on_the_last_reading_before_it_taken_under_this_contract() -> None:
    reads = [
        read("900", date(2024, 12, 20)),  # before the contract started (the previous occupant)
        read("1000", date(2025, 6, 1)),
        read("1100", date(2025, 12, 30)),
        read("2000", date(2026, 12, 31)),
    ]
    # 2000 - 1100 = 900: the latest reading before 1 January, not the first one ever.
    assert uses_of(reads)["M-1", "electricity_normal"].quantity == D("900")
    # In the contract's first year (it started 2025-01-01) the reading of 2024 is not its own:
    # 1100 - 1000 = 100 over 2025.
    first_year = uses_of(reads, start=date(2025, 1, 1), end=date(2025, 12, 30))
    assert first_year["M-1", "electricity_normal"].quantity == D("100")


def test_the_previous_settlements_closing_index_opens_the_next_one() -> None:
    reads = [read("1100", date(2025, 12, 30)), read("1200", date(2026, 12, 31))]
    # 2025 was settled with an estimated index of 1234 on 31 December: 2026 starts there, so
    # the 34 kWh estimated too much come back: 1200 - 1234 = -34.
    estimate = {
        ("M-1", "electricity_normal"): Index(D("1234"), date(2025, 12, 31), "settled", estimated=True)
    }
    assert uses_of(reads, openings=estimate)["M-1", "electricity_normal"].quantity == D("-34")
    # A real index that the next reading is below of means the meter runs backwards.
    real = {("M-1", "electricity_normal"): Index(D("1234"), date(2025, 12, 31), "settled")}
    with pytest.raises(SettlementError, match="runs backwards"):
        uses_of(reads, openings=real)


def test_a_declared_rollover_adds_the_counters_capacity() -> None:
    reads = [
        read("99990", date(2026, 1, 1)),
        read("10", date(2026, 6, 1), rollover_capacity=D(100000)),  # the 5-digit counter wrapped
        read("110", date(2026, 12, 31)),
    ]
    # 10 + 100000 - 99990 = 20, then 110 - 10 = 100: 120 kWh.
    assert uses_of(reads)["M-1", "electricity_normal"].quantity == D("120")


def test_without_a_reading_on_the_last_day_the_index_is_estimated() -> None:
    reads = [
        read("1000", date(2026, 1, 1)),
        read("1500", date(2026, 10, 31)),
        read("100", date(2026, 1, 1), "feed_in_normal"),
        read("300", date(2026, 10, 31), "feed_in_normal"),
    ]
    uses = uses_of(reads, expected={"electricity_normal": D(3650)})
    # 1500 + 3650 x 61/365 (the days after 31 October) = 1500 + 610 = 2110; use 2110 - 1000.
    normal = uses["M-1", "electricity_normal"]
    assert normal.closing == Index(D("2110.000"), date(2026, 12, 31), "estimated", estimated=True)
    assert (normal.quantity, normal.estimated) == (D("1110.000"), True)
    # Feed-in has no expected volume: its last index stands, still an estimate.
    feed_in = uses["M-1", "feed_in_normal"]
    assert (feed_in.closing, feed_in.quantity) == (
        Index(D("300.000"), date(2026, 12, 31), "estimated", estimated=True),
        D("200.000"),
    )


def test_a_reading_after_the_end_interpolates_the_last_index() -> None:
    reads = [
        read("1000", date(2026, 1, 1)),
        read("1500", date(2026, 11, 30)),
        read("1590", date(2027, 1, 30)),
    ]
    # 90 kWh between 30 November and 30 January; 31 of those 61 days are in the period:
    # 90 x (31/365) / (31/365 + 30/365) = 90 x 31/61 = 45.7377... -> 45.738.
    normal = uses_of(reads)["M-1", "electricity_normal"]
    assert normal.closing == Index(D("1545.738"), date(2026, 12, 31), "interpolated")
    assert (normal.quantity, normal.estimated) == (D("545.738"), False)


def test_a_replaced_meter_ends_at_its_last_reading_and_the_new_one_starts_at_its_first() -> None:
    reads = [
        read("7", date(2025, 2, 1), meter="M-0"),  # replaced long before: counts nothing now
        read("1000", date(2026, 1, 1)),
        read("1400", date(2026, 6, 30)),  # M-1 removed
        read("0", date(2026, 7, 1), meter="M-2"),
        read("500", date(2026, 12, 31), meter="M-2"),
    ]
    uses = uses_of(reads, expected={"electricity_normal": D(3650)})
    assert set(uses) == {("M-1", "electricity_normal"), ("M-2", "electricity_normal")}
    # M-1: 1400 - 1000 = 400, not estimated on (it is gone); M-2: 500 - 0 = 500.
    assert (uses["M-1", "electricity_normal"].quantity, uses["M-1", "electricity_normal"].estimated) == (
        D("400"),
        False,
    )
    assert uses["M-2", "electricity_normal"].quantity == D("500")


def test_a_contract_never_read_is_estimated_from_its_expected_consumption() -> None:
    expected = {"electricity_single": D(3650), "gas": D(1200)}
    # January to June: 181 days of 365; 3650 x 181/365 = 1810. Gas is not this contract's.
    uses = uses_of([], start=date(2026, 1, 1), end=date(2026, 6, 30), expected=expected)
    assert list(uses) == [(None, "electricity_single")]
    single = uses[None, "electricity_single"]
    assert (single.quantity, single.unit, single.estimated) == (D("1810.000"), "kWh", True)
    # Once a meter is read, its indexes count and the expected volume only estimates them.
    read_once = uses_of([read("10", date(2026, 6, 30))], end=date(2026, 6, 30), expected=expected)
    assert list(read_once) == [("M-1", "electricity_normal")]


def test_an_index_metering_estimated_makes_the_use_an_estimate() -> None:
    reads = [read("1000", date(2026, 1, 1)), read("1400", date(2026, 12, 31), actual=False)]
    normal = uses_of(reads)["M-1", "electricity_normal"]
    # 1400 - 1000 = 400, ending on metering's estimate of the last day.
    assert (normal.quantity, normal.closing, normal.estimated) == (
        D("400"),
        Index(D("1400"), date(2026, 12, 31), "read", estimated=True),
        True,
    )


def test_readings_that_cannot_be_settled_are_refused() -> None:
    with pytest.raises(SettlementError, match="runs backwards"):
        uses_of([read("1000", date(2026, 1, 1)), read("999", date(2026, 12, 31))])
    with pytest.raises(SettlementError, match="mixed units"):
        uses_of(
            [read("1", date(2026, 1, 1), "heat", unit="GJ"), read("2", date(2026, 12, 31), "heat", unit="m3")]
        )


def test_a_reading_is_complete_when_every_register_in_place_was_read() -> None:
    normal = read("1000", date(2026, 12, 31))
    offpeak_early = read("500", date(2026, 12, 15), "electricity_offpeak")
    offpeak = read("520", date(2026, 12, 31), "electricity_offpeak", hour=13)
    old_meter = read("5", date(2025, 1, 1), "electricity_normal", meter="M-0")
    day = date(2026, 12, 31)
    assert not read_through([], day)
    assert not read_through([normal, offpeak_early], day)  # off-peak not read that day yet
    assert read_through([normal, offpeak_early, offpeak, old_meter], day)  # M-0 is not in place
    estimated = read("520", day, "electricity_offpeak", actual=False)
    assert not read_through([normal, offpeak_early, estimated], day)
    final = read("510", date(2026, 12, 30), "electricity_offpeak", final=True)
    assert read_through([normal, final], day)


# --- Spans ------------------------------------------------------------------------------------


def test_a_period_is_cut_at_tariff_changes_product_changes_and_the_end_of_net_metering() -> None:
    a1 = tariff(date(2025, 1, 1), date(2026, 7, 1), product="A")
    a2 = tariff(date(2026, 7, 1), product="A", fixed_costs_per_day=D("0.25"))
    b1 = tariff(date(2025, 1, 1), product="B")
    history = [
        ProductChange(date(2025, 1, 1), "A"),
        ProductChange(date(2026, 3, 1), "A", e_invoice=True),  # options only: no cut
        ProductChange(date(2026, 10, 1), "B"),
    ]
    spans = tariff_spans(
        date(2026, 4, 1),
        date(2027, 3, 31),
        commodity="electricity",
        history=history,
        periods={"A": [a1, a2], "B": [b1]},
    )
    assert [(s.first, s.last, s.tariff, s.days, s.net_metering) for s in spans] == [
        (date(2026, 4, 1), date(2026, 6, 30), a1, 91, True),
        (date(2026, 7, 1), date(2026, 9, 30), a2, 92, True),
        (date(2026, 10, 1), date(2026, 12, 31), b1, 92, True),
        (NET_METERING_ENDS, date(2027, 3, 31), b1, 90, False),
    ]
    # Gas has no net metering: its last span runs on through the new year.
    gas = tariff(date(2025, 1, 1), product="B", commodity="gas")
    gas_spans = tariff_spans(
        date(2026, 10, 1), date(2027, 3, 31), commodity="gas", history=history, periods={"B": [gas]}
    )
    assert [(s.first, s.last) for s in gas_spans] == [(date(2026, 10, 1), date(2027, 3, 31))]


def test_a_day_without_a_tariff_is_refused() -> None:
    history = [ProductChange(date(2026, 1, 1), "A")]
    periods = {"A": [tariff(date(2026, 1, 1), date(2026, 6, 1), product="A")]}
    with pytest.raises(SettlementError, match="no electricity tariff on 2026-06-01"):
        tariff_spans(
            date(2026, 1, 1), date(2026, 12, 31), commodity="electricity", history=history, periods=periods
        )


def test_spread_rounds_cumulatively_so_the_parts_add_up_exactly() -> None:
    # 100 in three equal parts: cumulative 33.333, 66.667, 100 -> 33.333, 33.334, 33.333.
    assert spread(D(100), [D(1), D(1), D(1)]) == [D("33.333"), D("33.334"), D("33.333")]
    # 1234.567 over 181 and 184 days: 1234.567 x 181/365 = 612.2099... -> 612.210; the rest
    # 1234.567 - 612.210 = 622.357.
    parts = spread(D("1234.567"), [D(181), D(184)])
    assert parts == [D("612.210"), D("622.357")] and sum(parts) == D("1234.567")


# --- Lines ------------------------------------------------------------------------------------

T1 = tariff(date(2026, 1, 1), date(2026, 12, 1))
T2 = tariff(
    date(2026, 12, 1),
    unit_prices={"electricity_normal": D("0.30"), "electricity_offpeak": D("0.24")},
    fixed_costs_per_day=D("0.25"),
    feed_in_compensation_per_kwh=D("0.06"),
    feed_in_costs_per_kwh=D("0.012"),
)


def rows(lines: list[InvoiceLine]) -> list[tuple[str, str | None, Decimal, Decimal, Decimal]]:
    return [(ln.kind, ln.register_type, ln.quantity, ln.unit_price, ln.amount_excl_vat) for ln in lines]


def test_a_settlement_over_a_price_change_and_the_end_of_net_metering() -> None:
    """November 2026 to January 2027 (92 days): prices change on 1 December, net metering
    ends on 1 January. Indexes on 31 October (opening) and 31 January (closing)."""
    start, end = date(2026, 11, 1), date(2027, 1, 31)
    reads = [
        read("5000", date(2026, 10, 31)),
        read("5920", end),
        read("3000", date(2026, 10, 31), "electricity_offpeak"),
        read("3460", end, "electricity_offpeak"),
        read("100", date(2026, 10, 31), "feed_in_normal"),
        read("284", end, "feed_in_normal"),
        read("50", date(2026, 10, 31), "feed_in_offpeak"),
        read("602", end, "feed_in_offpeak"),
    ]
    uses = list(uses_of(reads, start=start, end=end).values())
    spans = tariff_spans(
        start,
        end,
        commodity="electricity",
        history=[ProductChange(date(2025, 1, 1), "P")],
        periods={"P": [T1, T2]},
    )
    assert [(s.days, s.net_metering) for s in spans] == [(30, True), (31, True), (31, False)]
    lines = settlement_lines(
        uses=uses,
        spans=spans,
        profile=FLAT,
        fee=TerminationFee(D("63.38"), D("0.21")),
        advances=D("150.00"),
        advance_count=3,
        start=start,
        end=end,
    )
    # Used: normal 5920 - 5000 = 920, off-peak 460; fed in: normal 184, off-peak 552. Spread
    # 30 : 31 : 31 days (the flat profile; feed-in always by days):
    #   normal 920 -> 300, 310, 310    off-peak 460 -> 150, 155, 155
    #   fed normal 184 -> 60, 62, 62    fed off-peak 552 -> 180, 186, 186
    n, o, fn, fo = "electricity_normal", "electricity_offpeak", "feed_in_normal", "feed_in_offpeak"
    assert rows(lines) == [
        ("termination_fee", None, D(1), D("63.38"), D("63.38")),
        # November, old prices, net metering:
        ("fixed_costs", None, D(30), D("0.20"), D("6.00")),  # 30 days x 0.20
        ("consumption", n, D(300), D("0.25"), D("75.00")),  # 300 x 0.25
        ("consumption", o, D(150), D("0.20"), D("30.00")),  # 150 x 0.20
        ("feed_in", fn, D(-60), D("0.25"), D("-15.00")),  # 60 <= 300 used: netted at 0.25
        ("feed_in_costs", fn, D(60), D("0.01"), D("0.60")),
        ("feed_in", fo, D(-150), D("0.20"), D("-30.00")),  # 180 fed, 150 used: 150 netted
        ("feed_in_compensation", fo, D(-30), D("0.05"), D("-1.50")),  # the other 30 x 0.05
        ("feed_in_costs", fo, D(180), D("0.01"), D("1.80")),
        # December, new prices, net metering:
        ("fixed_costs", None, D(31), D("0.25"), D("7.75")),
        ("consumption", n, D(310), D("0.30"), D("93.00")),
        ("consumption", o, D(155), D("0.24"), D("37.20")),
        ("feed_in", fn, D(-62), D("0.30"), D("-18.60")),
        ("feed_in_costs", fn, D(62), D("0.012"), D("0.74")),  # 0.744
        ("feed_in", fo, D(-155), D("0.24"), D("-37.20")),
        ("feed_in_compensation", fo, D(-31), D("0.06"), D("-1.86")),
        ("feed_in_costs", fo, D(186), D("0.012"), D("2.23")),  # 2.232
        # January 2027, no more netting: all feed-in at the compensation.
        ("fixed_costs", None, D(31), D("0.25"), D("7.75")),
        ("consumption", n, D(310), D("0.30"), D("93.00")),
        ("consumption", o, D(155), D("0.24"), D("37.20")),
        ("feed_in_compensation", fn, D(-62), D("0.06"), D("-3.72")),
        ("feed_in_costs", fn, D(62), D("0.012"), D("0.74")),
        ("feed_in_compensation", fo, D(-186), D("0.06"), D("-11.16")),
        ("feed_in_costs", fo, D(186), D("0.012"), D("2.23")),
        ("advances_deducted", None, D(1), D("-150.00"), D("-150.00")),
    ]
    assert lines[2].description == (
        "Electricity, normal rate, 2026-11-01 to 2026-11-30 (meter index 5000 to 5920)"
    )
    assert lines[-1].vat_rate == 0
    # At 21 %: fee 63.38; November 6.00 + 75.00 + 30.00 - 15.00 + 0.60 - 30.00 - 1.50 + 1.80
    # = 66.90; December 7.75 + 93.00 + 37.20 - 18.60 + 0.74 - 37.20 - 1.86 + 2.23 = 83.26;
    # January 7.75 + 93.00 + 37.20 - 3.72 + 0.74 - 11.16 + 2.23 = 126.04. Base 339.58, VAT
    # 339.58 x 0.21 = 71.3118 -> 71.31. At 0 %: -150.00, no VAT.
    # Excl. VAT 339.58 - 150.00 = 189.58; incl. 189.58 + 71.31 = 260.89.
    totals = compute_totals(lines)
    assert [(v.rate, v.base, v.vat) for v in totals.vat] == [
        (D(0), D("-150.00"), D("0.00")),
        (D("0.21"), D("339.58"), D("71.31")),
    ]
    assert (totals.excl_vat, totals.vat_total, totals.incl_vat) == (D("189.58"), D("71.31"), D("260.89"))
    # Reconciled to the cent: the lines add up to the excl. total, each rate's VAT to the VAT.
    assert sum(ln.amount_excl_vat for ln in lines) == totals.excl_vat
    assert totals.excl_vat + totals.vat_total == totals.incl_vat


def test_single_rate_use_nets_feed_in_of_both_rates() -> None:
    day = date(2026, 3, 31)
    reads = [
        read("0", date(2026, 2, 28), "electricity_single"),
        read("100", day, "electricity_single"),
        read("0", date(2026, 2, 28), "feed_in_normal"),
        read("70", day, "feed_in_normal"),
        read("0", date(2026, 2, 28), "feed_in_offpeak"),
        read("50", day, "feed_in_offpeak"),
    ]
    single = tariff(date(2026, 1, 1), unit_prices={"electricity_single": D("0.22")})
    spans = tariff_spans(
        date(2026, 3, 1), day, commodity="electricity", history=[ProductChange(date(2026, 1, 1), "P")],
        periods={"P": [single]},
    )  # fmt: skip
    uses = list(uses_of(reads, start=date(2026, 3, 1), end=day).values())
    lines = settlement_lines(uses=uses, spans=spans, profile=FLAT)
    # 100 kWh used at the single rate; 70 fed in at normal and 50 at off-peak are netted
    # against it in that order: 70 (room left 30), then 30 of the 50; 20 are compensated.
    assert rows(lines) == [
        ("fixed_costs", None, D(31), D("0.20"), D("6.20")),
        ("consumption", "electricity_single", D(100), D("0.22"), D("22.00")),
        ("feed_in", "feed_in_normal", D(-70), D("0.22"), D("-15.40")),
        ("feed_in_costs", "feed_in_normal", D(70), D("0.01"), D("0.70")),
        ("feed_in", "feed_in_offpeak", D(-30), D("0.22"), D("-6.60")),
        ("feed_in_compensation", "feed_in_offpeak", D(-20), D("0.05"), D("-1.00")),
        ("feed_in_costs", "feed_in_offpeak", D(50), D("0.01"), D("0.50")),
    ]
    # 6.20 + 22.00 - 15.40 + 0.70 - 6.60 - 1.00 + 0.50 = 6.40; VAT 1.344 -> 1.34; 7.74.
    assert compute_totals(lines).incl_vat == D("7.74")


def test_each_span_has_its_own_vat_rate() -> None:
    low = tariff(date(2026, 7, 1), vat_rate=D("0.09"), fixed_costs_per_day=D("0.333333"))
    spans = tariff_spans(
        date(2026, 6, 1), date(2026, 7, 31), commodity="electricity",
        history=[ProductChange(date(2026, 1, 1), "P")], periods={"P": [T1, low]},
    )  # fmt: skip
    lines = settlement_lines(uses=[], spans=spans, profile=FLAT)
    # June 30 x 0.20 = 6.00 at 21 %; July 31 x 0.333333 = 10.333323 -> 10.33 at 9 %.
    # VAT: 6.00 x 0.21 = 1.26; 10.33 x 0.09 = 0.9297 -> 0.93. Total 16.33 + 2.19 = 18.52.
    totals = compute_totals(lines)
    assert [(v.rate, v.base, v.vat) for v in totals.vat] == [
        (D("0.09"), D("10.33"), D("0.93")),
        (D("0.21"), D("6.00"), D("1.26")),
    ]
    assert totals.incl_vat == D("18.52")


def test_a_use_spread_by_the_profile_across_a_price_change() -> None:
    reads = [read("1000", date(2026, 10, 31)), read("1234.567", date(2026, 12, 31))]
    spans = tariff_spans(
        date(2026, 11, 1), date(2026, 12, 31), commodity="electricity",
        history=[ProductChange(date(2026, 1, 1), "P")], periods={"P": [T1, T2]},
    )  # fmt: skip
    uses = list(uses_of(reads, start=date(2026, 11, 1), end=date(2026, 12, 31)).values())
    lines = [ln for ln in settlement_lines(uses=uses, spans=spans, profile=FLAT) if ln.kind == "consumption"]
    # 234.567 kWh: November 30 of 61 days: 234.567 x 30/61 = 115.3608... -> 115.361 x 0.25 =
    # 28.84025 -> 28.84; December the rest, 119.206 x 0.30 = 35.7618 -> 35.76.
    assert [(ln.quantity, ln.amount_excl_vat) for ln in lines] == [
        (D("115.361"), D("28.84")),
        (D("119.206"), D("35.76")),
    ]


# --- Periods ----------------------------------------------------------------------------------


def test_annual_and_quarterly_periods() -> None:
    start = date(2026, 3, 15)
    assert period_start(None, start) == start
    assert period_start(date(2027, 3, 14), start) == date(2027, 3, 15)
    # The year up to the day before the next anniversary after the period's first day.
    assert annual_period_end(start, start) == date(2027, 3, 14)
    assert annual_period_end(start, date(2027, 3, 15)) == date(2028, 3, 14)
    assert annual_period_end(start, date(2026, 8, 1)) == date(2027, 3, 14)  # after a mode change
    # Started on 29 February: the anniversary in other years is 28 February.
    assert annual_period_end(date(2024, 2, 29), date(2024, 2, 29)) == date(2025, 2, 27)
    # Due once the anniversary has come; not when the contract ends within the year.
    assert annual_through(start, start, None, date(2027, 3, 14)) is None
    assert annual_through(start, start, None, date(2027, 3, 15)) == date(2027, 3, 14)
    assert annual_through(start, start, date(2027, 1, 31), date(2027, 3, 15)) is None
    assert [quarter_end(date(2026, m, 10)) for m in (2, 4, 9, 11)] == [
        date(2026, 3, 31),
        date(2026, 6, 30),
        date(2026, 9, 30),
        date(2026, 12, 31),
    ]
    assert quarter_through(date(2026, 10, 1), None, date(2026, 12, 31)) is None
    assert quarter_through(date(2026, 10, 1), None, date(2027, 1, 1)) == date(2026, 12, 31)


# --- The termination fee ----------------------------------------------------------------------


def fee_of(total: str, excl_vat: str | None = None, vat_rate: str | None = None) -> TerminationFee:
    return termination_fee_of(
        D(total),
        excl_vat=None if excl_vat is None else D(excl_vat),
        vat_rate=None if vat_rate is None else D(vat_rate),
        fallback_vat_rate=D("0.21"),
    )


def test_the_fee_is_priced_before_vat_as_contracts_split_it() -> None:
    # Contracts: 63.38 before VAT; 63.38 x 0.21 = 13.3098 -> 13.31; 63.38 + 13.31 = 76.69.
    fee = fee_of("76.69", "63.38", "0.21")
    assert fee == TerminationFee(excl_vat=D("63.38"), vat_rate=D("0.21"))
    line = termination_fee_line(fee)
    assert (line.kind, line.quantity, line.unit, line.unit_price, line.vat_rate) == (
        "termination_fee",
        D(1),
        None,
        D("63.38"),
        D("0.21"),
    )
    assert line.amount_excl_vat == D("63.38")


def test_no_fee_line_when_the_fee_is_zero_and_a_negative_fee_is_refused() -> None:
    assert settlement_lines(uses=[], spans=[], profile=FLAT, fee=TerminationFee(D("0.00"), D("0.21"))) == []
    with pytest.raises(SettlementError):
        settlement_lines(uses=[], spans=[], profile=FLAT, fee=TerminationFee(D("-1.00"), D("0.21")))


def test_the_rate_in_the_event_wins_over_the_configured_one() -> None:
    # 63.38 at 9 %: 5.7042 -> 5.70; 69.08 in total. Configured (21 %) is not used.
    assert fee_of("69.08", "63.38", "0.09") == TerminationFee(D("63.38"), D("0.09"))
    # Only the rate sent: 69.08 / 1.09 = 63.3761... -> 63.38, at the event's 9 %.
    assert fee_of("69.08", vat_rate="0.09") == TerminationFee(D("63.38"), D("0.09"))


def test_an_older_event_is_split_at_the_configured_rate() -> None:
    # No split in the event: excl. = total / 1.21, half-up to the cent.
    # 76.69 / 1.21 = 63.3801... -> 63.38 (contracts' own 63.38, see above)
    # 46.46 / 1.21 = 38.3966... -> 38.40 (38.40 + VAT 8.064 -> 8.06 = 46.46)
    assert fee_of("76.69") == TerminationFee(D("63.38"), D("0.21"))
    assert fee_of("46.46") == TerminationFee(D("38.40"), D("0.21"))
    assert fee_of("0.00") == TerminationFee(D("0.00"), D("0.21"))


def test_a_total_contracts_could_not_have_produced_comes_out_a_cent_off() -> None:
    # 100.00 / 1.21 = 82.6446... -> 82.64; VAT 82.64 x 0.21 = 17.3544 -> 17.35; 82.64 + 17.35
    # = 99.99. No amount before VAT gives 100.00 at 21 % (82.65 gives 82.65 + 17.36 = 100.01).
    fee = fee_of("100.00")
    assert fee.excl_vat == D("82.64")
    assert fee.excl_vat + to_cents(fee.excl_vat * fee.vat_rate) == D("99.99")


def test_a_split_that_does_not_give_the_total_is_refused() -> None:
    # 63.38 at 21 % is 76.69, not 76.70.
    with pytest.raises(SettlementError, match=r"76\.70 is not 63\.38 plus VAT at 0\.21"):
        fee_of("76.70", "63.38", "0.21")
    # The amount without its rate is checked at the configured 21 %: 63.38 + 13.31 = 76.69.
    assert fee_of("76.69", "63.38") == TerminationFee(D("63.38"), D("0.21"))
    with pytest.raises(SettlementError):
        fee_of("69.08", "63.38")
