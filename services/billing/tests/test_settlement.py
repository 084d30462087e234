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
    TerminationFee,
    final_settlement_lines,
    register_usage,
    settlement_window,
    termination_fee_line,
    termination_fee_of,
)
from portal_schemas.types import to_cents

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
    fee = TerminationFee(excl_vat=D("63.38"), vat_rate=D("0.21"))
    lines = final_settlement_lines(termination_fee=fee, usages=usages, tariff=TARIFF)
    assert [(ln.kind, ln.register_type, ln.quantity, ln.unit_price, ln.vat_rate) for ln in lines] == [
        ("termination_fee", None, D(1), D("63.38"), D("0.21")),
        ("consumption", "electricity_normal", D("1234.567"), D("0.30"), D("0.21")),
        ("feed_in", "feed_in_normal", D("-250.25"), D("0.30"), D("0.21")),
        ("consumption", "gas", D("1194.5"), D("1.40"), D("0.21")),
    ]
    # 63.38 | 1234.567 x 0.30 = 370.3701 -> 370.37 | -250.25 x 0.30 = -75.075 -> -75.08
    # | 1194.5 x 1.40 = 1672.30
    assert [ln.amount_excl_vat for ln in lines] == [D("63.38"), D("370.37"), D("-75.08"), D("1672.30")]
    assert lines[1].description == "Electricity, normal rate, meter index 1000 to 2234.567"


def test_no_fee_line_when_the_fee_is_zero() -> None:
    usages = register_usage([read("1000", 1), read("1010", 2)])
    no_fee = TerminationFee(excl_vat=D("0.00"), vat_rate=D("0.21"))
    lines = final_settlement_lines(termination_fee=no_fee, usages=usages, tariff=TARIFF)
    assert [ln.kind for ln in lines] == ["consumption"]


def test_a_unit_without_a_price_is_refused() -> None:
    usages = register_usage([read("1", 1, "heat", "MWh"), read("2", 2, "heat", "MWh")])
    with pytest.raises(SettlementError, match="no price"):
        no_fee = TerminationFee(D("0"), D("0.21"))
        final_settlement_lines(termination_fee=no_fee, usages=usages, tariff=TARIFF)


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
