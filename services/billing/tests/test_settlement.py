"""Settlement arithmetic (domain/settlement.py): registers, windows and final-invoice lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from billing.domain.errors import SettlementError
from billing.domain.settlement import (
    MeterRead,
    PlaceholderTariff,
    final_settlement_lines,
    register_usage,
    settlement_window,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
D = Decimal
TARIFF = PlaceholderTariff(
    price_per_unit={"kWh": D("0.30"), "m3": D("1.40"), "GJ": D("50.00")}, vat_rate=D("0.21")
)


def read(value: str, month: int, register: str = "electricity_normal", unit: str = "kWh") -> MeterRead:
    return MeterRead("M-1", register, unit, D(value), datetime(2026, month, 1, 12, tzinfo=UTC))


def test_usage_is_last_minus_first_reading_per_register() -> None:
    reads = [
        read("1500.5", 6),  # arrives out of order: time, not arrival, decides first and last
        read("1000", 1),
        read("2234.567", 10),
        read("40", 1, "gas", "m3"),
        read("1234.5", 3, "gas", "m3"),
        read("7", 2, "heat", "GJ"),  # a single reading measures nothing
    ]
    usages = {u.register_type: u.quantity for u in register_usage(reads)}
    # electricity 2234.567 - 1000 = 1234.567; gas 1234.5 - 40 = 1194.5
    assert usages == {"electricity_normal": D("1234.567"), "gas": D("1194.5")}


def test_a_meter_running_backwards_is_refused() -> None:
    with pytest.raises(SettlementError, match="runs backwards"):
        register_usage([read("1000", 1), read("999", 2)])


def test_mixed_units_on_one_register_are_refused() -> None:
    with pytest.raises(SettlementError, match="mixed units"):
        register_usage([read("1", 1, "heat", "GJ"), read("2", 2, "heat", "m3")])


def test_window_covers_whole_amsterdam_days_including_the_end_date() -> None:
    # Summer time: local midnight is 22:00 UTC the day before. 29 March 2026 is the 23-hour day
    # when clocks go forward, so the day after it starts at 2026-03-29T22:00Z.
    since, until = settlement_window(date(2025, 7, 1), date(2026, 3, 29), AMSTERDAM)
    assert since == datetime(2025, 6, 30, 22, tzinfo=UTC)
    assert until == datetime(2026, 3, 29, 22, tzinfo=UTC)
    # Winter time, unknown start: no lower bound; 1 November 00:00 CET = 31 October 23:00 UTC.
    assert settlement_window(None, date(2026, 10, 31), AMSTERDAM) == (
        None,
        datetime(2026, 10, 31, 23, tzinfo=UTC),
    )


def test_a_contract_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(SettlementError):
        settlement_window(date(2026, 5, 2), date(2026, 5, 1), AMSTERDAM)


def test_final_lines_fee_first_then_energy_feed_in_as_credit() -> None:
    usages = register_usage(
        [
            read("1000", 1),
            read("2234.567", 10),
            read("100", 1, "feed_in_normal"),
            read("350.25", 10, "feed_in_normal"),
            read("40", 1, "gas", "m3"),
            read("1234.5", 10, "gas", "m3"),
        ]
    )
    lines = final_settlement_lines(
        termination_fee=D("125.00"), fee_vat_rate=D("0"), usages=usages, tariff=TARIFF
    )
    assert [(ln.kind, ln.register_type, ln.quantity, ln.unit_price, ln.vat_rate) for ln in lines] == [
        ("termination_fee", None, D(1), D("125.00"), D("0")),
        ("consumption", "electricity_normal", D("1234.567"), D("0.30"), D("0.21")),
        ("feed_in", "feed_in_normal", D("-250.25"), D("0.30"), D("0.21")),
        ("consumption", "gas", D("1194.5"), D("1.40"), D("0.21")),
    ]
    # 125.00 | 1234.567 x 0.30 = 370.3701 -> 370.37 | -250.25 x 0.30 = -75.075 -> -75.08
    # | 1194.5 x 1.40 = 1672.30
    assert [ln.amount_excl_vat for ln in lines] == [D("125.00"), D("370.37"), D("-75.08"), D("1672.30")]
    assert lines[1].description == "Electricity, normal rate, meter index 1000 to 2234.567"


def test_no_fee_line_when_the_fee_is_zero() -> None:
    usages = register_usage([read("1000", 1), read("1010", 2)])
    lines = final_settlement_lines(
        termination_fee=D("0.00"), fee_vat_rate=D("0"), usages=usages, tariff=TARIFF
    )
    assert [ln.kind for ln in lines] == ["consumption"]


def test_a_unit_without_a_price_is_refused() -> None:
    usages = register_usage([read("1", 1, "heat", "MWh"), read("2", 2, "heat", "MWh")])
    with pytest.raises(SettlementError, match="no price"):
        final_settlement_lines(termination_fee=D("0"), fee_vat_rate=D("0"), usages=usages, tariff=TARIFF)
