"""The money rules of domain/invoice.py, with every sum worked by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from billing.domain.errors import InvoiceError
from billing.domain.invoice import Invoice, InvoiceLine, compute_totals, issue_date_of
from portal_schemas.types import to_cents

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
D = Decimal


def line(quantity: str, price: str, rate: str = "0.21") -> InvoiceLine:
    return InvoiceLine(
        kind="consumption",
        description="energy",
        quantity=D(quantity),
        unit="kWh",
        unit_price=D(price),
        vat_rate=D(rate),
    )


@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("0.125", "0.13"),  # a tie rounds up
        ("0.124999", "0.12"),
        ("-0.125", "-0.13"),  # and away from zero for credits, mirroring the debit
        ("370.3701", "370.37"),
        ("2.005", "2.01"),  # the float 2.005 would give 2.00: Decimal does not
        ("-0.004", "0.00"),
    ],
)
def test_rounding_to_the_cent_is_half_up(amount: str, cents: str) -> None:
    assert to_cents(D(amount)) == D(cents)


def test_a_credit_rounding_to_nothing_is_a_plain_zero() -> None:
    # -0.001 kWh x 0.30 = -0.0003 -> 0.00, printed "0.00" and not "-0.00"
    assert str(line("-0.001", "0.30").amount_excl_vat) == "0.00"


def test_line_amount_is_quantity_times_price_rounded_once() -> None:
    # 1234.567 kWh x 0.30 = 370.3701 -> 370.37
    assert line("1234.567", "0.30").amount_excl_vat == D("370.37")
    # 312.345 kWh x 0.28345 = 88.53419025 -> 88.53 (the price keeps its five decimals)
    assert line("312.345", "0.28345").amount_excl_vat == D("88.53")


def test_vat_is_taken_on_the_sum_per_rate_not_per_line() -> None:
    lines = [line("1", "0.12"), line("1", "0.12"), line("1", "0.12")]
    totals = compute_totals(lines)
    # Per line: 0.12 x 0.21 = 0.0252 -> 0.03, three times 0.09. On the sum, as the rule says:
    # 0.36 x 0.21 = 0.0756 -> 0.08.
    [vat] = totals.vat
    assert (vat.base, vat.vat) == (D("0.36"), D("0.08"))
    assert totals.vat_total == D("0.08")
    assert totals.incl_vat == D("0.44")  # 0.36 + 0.08


def test_totals_reconcile_across_rates() -> None:
    fee = InvoiceLine(
        kind="termination_fee",
        description="fee",
        quantity=D(1),
        unit=None,
        unit_price=D("125.00"),
        vat_rate=D("0"),
    )
    lines = [fee, line("1234.567", "0.30"), line("312.345", "0.30"), line("-250.25", "0.30")]
    totals = compute_totals(lines)
    # Lines: 125.00 | 370.3701 -> 370.37 | 93.7035 -> 93.70 | -75.075 -> -75.08
    # 21 %: base 370.37 + 93.70 - 75.08 = 388.99; VAT 388.99 x 0.21 = 81.6879 -> 81.69
    # 0 %:  base 125.00; VAT 0.00
    assert [(v.rate, v.base, v.vat) for v in totals.vat] == [
        (D("0"), D("125.00"), D("0.00")),
        (D("0.21"), D("388.99"), D("81.69")),
    ]
    # excl. 125.00 + 388.99 = 513.99; VAT 81.69; incl. 513.99 + 81.69 = 595.68
    assert totals.excl_vat == D("513.99")
    assert totals.vat_total == D("81.69")
    assert totals.incl_vat == D("595.68")
    assert totals.excl_vat == sum((v.base for v in totals.vat), D(0))
    assert totals.incl_vat == totals.excl_vat + totals.vat_total


def test_a_fee_and_energy_at_21_percent_share_one_vat_amount() -> None:
    # The fee as contracts splits it (63.38 + VAT 13.31 = 76.69) and 335 kWh x 0.30 = 100.50.
    fee = InvoiceLine(
        kind="termination_fee",
        description="fee",
        quantity=D(1),
        unit=None,
        unit_price=D("63.38"),
        vat_rate=D("0.21"),
    )
    totals = compute_totals([fee, line("335", "0.30")])
    # 21 %: base 63.38 + 100.50 = 163.88; VAT 163.88 x 0.21 = 34.4148 -> 34.41
    assert [(v.rate, v.base, v.vat) for v in totals.vat] == [(D("0.21"), D("163.88"), D("34.41"))]
    # excl. 163.88; incl. 163.88 + 34.41 = 198.29
    assert (totals.excl_vat, totals.vat_total, totals.incl_vat) == (D("163.88"), D("34.41"), D("198.29"))
    assert totals.incl_vat == totals.excl_vat + totals.vat_total
    # Rounded per line the VAT would be 13.3098 -> 13.31 plus 21.105 -> 21.11 = 34.42: the
    # invoice rounds once per rate, so here it is a cent below the fee's 76.69 as announced
    # plus the energy's 121.61. Both roundings are half-up; only where they happen differs.
    assert to_cents(D("63.38") * D("0.21")) + to_cents(D("100.50") * D("0.21")) == D("34.42")


def test_an_invoice_without_lines_totals_zero() -> None:
    totals = compute_totals([])
    assert (totals.excl_vat, totals.vat_total, totals.incl_vat, totals.vat) == (
        D("0.00"),
        D("0.00"),
        D("0.00"),
        (),
    )


def issue(issued_at: datetime, lines: list[InvoiceLine]) -> Invoice:
    return Invoice.issue(
        invoice_id="i-1",
        number="F2027-000001",
        kind="final_settlement",
        customer_number="100200300",
        contract_id="C-1",
        lines=lines,
        issued_at=issued_at,
        zone=AMSTERDAM,
        payment_term_days=14,
    )


def test_issue_and_due_dates_are_amsterdam_calendar_days() -> None:
    # 23:30 UTC on 31 December is 00:30 on 1 January in Amsterdam (UTC+1 in winter).
    invoice = issue(datetime(2026, 12, 31, 23, 30, tzinfo=UTC), [line("10", "0.30")])
    assert invoice.issue_date == date(2027, 1, 1)
    assert invoice.due_date == date(2027, 1, 15)  # 14 days later
    assert invoice.status == "open"


def test_status_at_issue() -> None:
    at = datetime(2026, 6, 1, 10, tzinfo=UTC)
    assert issue(at, []).status == "paid"  # nothing to settle
    # more fed back than used: -10 kWh x 0.30 = -3.00, VAT -0.63 -> the supplier owes 3.63
    refund = issue(at, [line("-10", "0.30")])
    assert refund.totals.incl_vat == D("-3.63")
    assert refund.status == "open"


def test_issue_time_must_be_aware() -> None:
    with pytest.raises(InvoiceError):
        issue_date_of(datetime(2026, 6, 1, 10), AMSTERDAM)  # noqa: DTZ001 - the point of the test
