"""Settlements on the whole stack: an annual settlement over a price change, a final settlement
with the fee and the final reading, a final settlement estimated after the wait and corrected
by a late reading, each job safe to run twice.

Each test gives billing a gas contract of its own (ContractCreated, TariffsPublished and
MeterReadingReceived as contracts and metering publish them) for a customer with a portal
account, runs billing's jobs as operations would, and reads the invoices through the gateway.
Dates are relative to today, so the tests hold in any year.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from billing.domain.estimates import StandardProfile
from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import (
    ContractCreated,
    ContractTerminated,
    TariffPeriodData,
    TariffsPublished,
)
from portal_schemas.metering import MeterReadingReceived

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
D = Decimal


def today() -> date:
    return datetime.now(AMSTERDAM).date()


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(D("0.01"), ROUND_HALF_UP)


def gas_product(kafka: Any, *periods: tuple[date, date | None, str, str]) -> str:
    """A product of its own with gas periods (valid from, valid to, price a m3, price a day),
    all at 21 % VAT; billing has stored it when this returns."""
    code = f"GAS-{uuid.uuid4().hex[:10]}"
    published = TariffsPublished(
        product_code=code,
        name="Gas test",
        kind="variable",
        commodities=["gas"],
        on_sale=True,
        periods=[
            TariffPeriodData(
                commodity="gas",
                valid_from=first,
                valid_to=until,
                vat_rate=D("0.21"),
                unit_prices={"gas": D(price)},
                fixed_costs_per_day=D(per_day),
            )
            for first, until, price, per_day in periods
        ],
    )
    kafka.publish_event(published, code, "contracts")
    kafka.wait_until_handled(TariffsPublished.topic(), code, "billing.tariffs")
    return code


def gas_contract(kafka: Any, customer_number: str, product_code: str, start: date) -> str:
    """A gas contract from ``start`` (1200 m3 expected a year), known to billing on return."""
    contract_id = f"S-{uuid.uuid4().hex[:12]}"
    created = ContractCreated(
        contract_id=contract_id,
        customer_number=customer_number,
        commodity="gas",
        product_code=product_code,
        start_date=start,
        expected_annual_consumption={"gas": D(1200)},
    )
    kafka.publish_event(created, contract_id, "contracts")
    kafka.wait_until_handled(ContractCreated.topic(), contract_id, "billing.contract-view")
    return contract_id


def gas_reading(
    kafka: Any,
    customer_number: str,
    contract_id: str,
    meter: str,
    value: str,
    day: date,
    *,
    final: bool = False,
) -> None:
    """A gas index read at noon on ``day``; billing has handled it on return."""
    reading = MeterReadingReceived(
        reading_id=str(uuid.uuid4()),
        meter_id=meter,
        customer_number=customer_number,
        contract_id=contract_id,
        register_type="gas",
        value=D(value),
        unit="m3",
        read_at=datetime.combine(day, time(12), tzinfo=AMSTERDAM),
        source="customer",
        quality="actual",
        final=final,
    )
    kafka.publish_event(reading, meter, "metering")
    kafka.wait_until_handled(MeterReadingReceived.topic(), meter, "billing.reading-view")


def terminate(kafka: Any, customer_number: str, contract_id: str, end: date, fee: str, excl_vat: str) -> None:
    terminated = ContractTerminated(
        contract_id=contract_id,
        customer_number=customer_number,
        end_date=end,
        reason="move",
        termination_fee=D(fee),
        termination_fee_excl_vat=D(excl_vat),
        termination_fee_vat_rate=D("0.21"),
    )
    kafka.publish_event(terminated, contract_id, "contracts")
    kafka.wait_until_handled(ContractTerminated.topic(), contract_id, "billing.final-settlement")


def invoices_of(gateway: httpx.Client, auth: dict[str, str], contract_id: str) -> list[dict[str, Any]]:
    """The contract's invoices with their lines, oldest number first."""
    listed = gateway.get("/billing/v1/invoices", params={"limit": 100}, headers=auth)
    assert listed.status_code == 200, listed.text
    mine = [i for i in listed.json()["items"] if i["contract_id"] == contract_id]
    details = [gateway.get(f"/billing/v1/invoices/{i['id']}", headers=auth) for i in mine]
    assert all(d.status_code == 200 for d in details)
    # A credit note and the invoice that replaces it are issued together, the credit note first.
    return sorted((d.json() for d in details), key=lambda i: (i["issued_at"], i["number"]))


def issued_event(kafka: Any, invoice_id: str) -> dict[str, Any]:
    [event] = kafka.about(InvoiceIssued.topic(), invoice_id)
    return dict(event["data"])


def assert_reconciles(invoice: dict[str, Any]) -> None:
    """Each line is quantity x price to the cent, VAT is per rate on the sum, totals add up."""
    for line in invoice["lines"]:
        assert D(line["amount_excl_vat"]) == cents(D(line["quantity"]) * D(line["unit_price"]))
    bases: dict[Decimal, Decimal] = {}
    for line in invoice["lines"]:
        bases[D(line["vat_rate"])] = bases.get(D(line["vat_rate"]), D(0)) + D(line["amount_excl_vat"])
    assert [(D(v["rate"]), D(v["base"]), D(v["vat"])) for v in invoice["vat"]] == [
        (rate, base, cents(base * rate)) for rate, base in sorted(bases.items())
    ]
    assert D(invoice["total_excl_vat"]) == sum(bases.values(), D(0))
    assert D(invoice["vat_total"]) == sum((D(v["vat"]) for v in invoice["vat"]), D(0))
    assert D(invoice["total_incl_vat"]) == D(invoice["total_excl_vat"]) + D(invoice["vat_total"])


def of_kind(invoice: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [line for line in invoice["lines"] if line["kind"] == kind]


def test_an_annual_settlement_is_split_at_a_price_change_and_issued_once(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    start = today() - timedelta(days=380)
    # The first anniversary, about two weeks ago (28 February for a start on 29 February).
    anniversary = date(start.year + 1, start.month, min(start.day, 28 if start.month == 2 else 31))
    change = start + timedelta(days=180)  # the price changes half-way through the year
    product = gas_product(
        kafka, (start - timedelta(days=30), change, "1.10", "0.30"), (change, None, "1.30", "0.35")
    )
    contract_id = gas_contract(kafka, customer.customer_number, product, start)
    meter = f"M-{uuid.uuid4().hex[:10]}"
    gas_reading(kafka, customer.customer_number, contract_id, meter, "1000", start)
    last_day = anniversary - timedelta(days=1)
    gas_reading(kafka, customer.customer_number, contract_id, meter, "2200", last_day)

    cli("billing", "annual-settlements", "--today", today().isoformat())
    cli("billing", "annual-settlements", "--today", today().isoformat())  # a second run: nothing more

    [annual] = invoices_of(gateway, auth, contract_id)
    assert (annual["kind"], annual["period_start"], annual["period_end"], annual["status"]) == (
        "annual_settlement",
        start.isoformat(),
        last_day.isoformat(),
        "open",
    )
    fixed, used = of_kind(annual, "fixed_costs"), of_kind(annual, "consumption")
    # Two spans, each at its own prices: before the change and from it.
    before, after = (change - start).days, (anniversary - change).days
    assert [(D(f["quantity"]), D(f["unit_price"])) for f in fixed] == [
        (before, D("0.30")),
        (after, D("0.35")),
    ]
    assert [D(u["unit_price"]) for u in used] == [D("1.10"), D("1.30")]
    # 2200 - 1000 = 1200 m3, spread over the two spans by the standard gas profile's shares of
    # their days (to the thousandth): the winter months weigh more than the summer ones.
    assert sum(D(u["quantity"]) for u in used) == D(1200)
    gas = StandardProfile()
    eve = start - timedelta(days=1)  # a span's share counts its days from its first one on
    first_span = gas.share("gas", eve, change - timedelta(days=1)) / gas.share("gas", eve, last_day)
    assert abs(D(used[0]["quantity"]) - D(1200) * first_span) < D("0.01")
    assert "meter index 1000 to 2200" in used[0]["description"]
    assert_reconciles(annual)
    assert issued_event(kafka, annual["id"])["estimated"] is False


def test_a_final_settlement_with_the_fee_and_the_final_reading(
    gateway: httpx.Client, kafka: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    start, end = today() - timedelta(days=200), today() - timedelta(days=5)
    product = gas_product(kafka, (start - timedelta(days=30), None, "1.20", "0.25"))
    contract_id = gas_contract(kafka, customer.customer_number, product, start)
    meter = f"M-{uuid.uuid4().hex[:10]}"
    gas_reading(kafka, customer.customer_number, contract_id, meter, "1000", start)
    gas_reading(kafka, customer.customer_number, contract_id, meter, "1450.5", end, final=True)
    # The final reading is in: the termination settles at once (76.69 = 63.38 + 21 % VAT).
    terminate(kafka, customer.customer_number, contract_id, end, "76.69", "63.38")

    [final] = helpers.eventually(lambda: invoices_of(gateway, auth, contract_id), timeout=30)
    assert (final["kind"], final["period_start"], final["period_end"]) == (
        "final_settlement",
        start.isoformat(),
        end.isoformat(),
    )
    days = (end - start).days + 1
    assert [(ln["kind"], D(ln["quantity"]), D(ln["unit_price"])) for ln in final["lines"]] == [
        ("termination_fee", D(1), D("63.38")),
        ("fixed_costs", D(days), D("0.25")),
        ("consumption", D("450.5"), D("1.20")),  # 1450.5 - 1000
    ]
    # 63.38 + days x 0.25 + 450.5 x 1.20 (540.60), plus 21 % VAT on the sum.
    base = D("63.38") + cents(days * D("0.25")) + D("540.60")
    assert (D(final["total_excl_vat"]), D(final["total_incl_vat"])) == (base, base + cents(base * D("0.21")))
    assert_reconciles(final)
    assert issued_event(kafka, final["id"])["estimated"] is False


def test_a_final_settlement_estimated_after_the_wait_is_corrected_by_a_late_reading(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    start, end = today() - timedelta(days=200), today() - timedelta(days=3)
    product = gas_product(kafka, (start - timedelta(days=30), None, "1.20", "0.25"))
    contract_id = gas_contract(kafka, customer.customer_number, product, start)
    meter = f"M-{uuid.uuid4().hex[:10]}"
    gas_reading(kafka, customer.customer_number, contract_id, meter, "1000", start)
    terminate(kafka, customer.customer_number, contract_id, end, "12.10", "10.00")
    assert invoices_of(gateway, auth, contract_id) == []  # waiting for the final reading

    # The wait is ten days after the end date (billing's default).
    cli("billing", "settle-due-finals", "--today", (end + timedelta(days=9)).isoformat())
    assert invoices_of(gateway, auth, contract_id) == []
    cli("billing", "settle-due-finals", "--today", (end + timedelta(days=10)).isoformat())
    cli("billing", "settle-due-finals", "--today", (end + timedelta(days=10)).isoformat())  # once
    [estimated] = invoices_of(gateway, auth, contract_id)
    [used] = of_kind(estimated, "consumption")
    # 1000 + 1200 m3 a year x the standard gas profile's share of the days after the start
    # through the end.
    share = StandardProfile().share("gas", start, end)
    assert D(used["quantity"]) == (D(1200) * share).quantize(D("0.001"), ROUND_HALF_UP)
    assert "estimated" in used["description"]
    assert issued_event(kafka, estimated["id"])["estimated"] is True

    # The real final reading comes late: a credit note for the estimate and a new final invoice.
    gas_reading(kafka, customer.customer_number, contract_id, meter, "1500", end, final=True)

    def three() -> list[dict[str, Any]] | None:
        found = invoices_of(gateway, auth, contract_id)
        return found if len(found) == 3 else None

    original, credit_note, corrected = helpers.eventually(three, timeout=30)
    assert (original["id"], original["status"]) == (estimated["id"], "credited")
    assert (credit_note["kind"], D(credit_note["total_incl_vat"])) == (
        "credit_note",
        -D(estimated["total_incl_vat"]),
    )
    assert [(ln["kind"], D(ln["quantity"]), D(ln["amount_excl_vat"])) for ln in credit_note["lines"]] == [
        ("correction", -D(ln["quantity"]), -D(ln["amount_excl_vat"])) for ln in estimated["lines"]
    ]
    assert issued_event(kafka, credit_note["id"])["credits_invoice_id"] == estimated["id"]
    assert (corrected["kind"], corrected["period_start"], corrected["period_end"]) == (
        "final_settlement",
        start.isoformat(),
        end.isoformat(),
    )
    assert [(ln["kind"], D(ln["quantity"])) for ln in corrected["lines"]] == [
        ("termination_fee", D(1)),
        ("fixed_costs", D((end - start).days + 1)),
        ("consumption", D(500)),  # 1500 - 1000, read
    ]
    assert issued_event(kafka, corrected["id"])["estimated"] is False
    assert_reconciles(credit_note)
    assert_reconciles(corrected)

    cli("billing", "settle-due-finals", "--today", (end + timedelta(days=11)).isoformat())
    assert len(invoices_of(gateway, auth, contract_id)) == 3


def first_of_next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def billed_from_next_month(gateway: httpx.Client, auth: dict[str, str], contract_id: str, mode: str) -> date:
    """The customer picks a billing mode; it applies from the first of next month."""
    chosen = gateway.put(
        f"/billing/v1/contracts/{contract_id}/billing-mode", headers=auth, json={"mode": mode}
    )
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["next_mode"] == mode
    return date.fromisoformat(chosen.json()["next_mode_from"])


def test_a_quarterly_contract_gets_one_invoice_per_ended_quarter(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    start = first_of_next_month(today())
    product = gas_product(kafka, (start - timedelta(days=30), None, "1.20", "0.25"))
    contract_id = gas_contract(kafka, customer.customer_number, product, start)
    assert billed_from_next_month(gateway, auth, contract_id, "quarterly") == start
    quarter_end = date(start.year, (start.month - 1) // 3 * 3 + 3, 1)
    quarter_end = first_of_next_month(quarter_end) - timedelta(days=1)
    meter = f"M-{uuid.uuid4().hex[:10]}"
    gas_reading(kafka, customer.customer_number, contract_id, meter, "500", start)
    gas_reading(kafka, customer.customer_number, contract_id, meter, "650", quarter_end)

    # While the quarter runs nothing is due; once it has ended, one invoice, however often run.
    cli("billing", "quarterly-invoices", "--today", quarter_end.isoformat())
    assert invoices_of(gateway, auth, contract_id) == []
    day_after = (quarter_end + timedelta(days=1)).isoformat()
    cli("billing", "quarterly-invoices", "--today", day_after)
    cli("billing", "quarterly-invoices", "--today", day_after)
    [quarterly] = invoices_of(gateway, auth, contract_id)
    assert (quarterly["kind"], quarterly["period_start"], quarterly["period_end"]) == (
        "quarterly",
        start.isoformat(),
        quarter_end.isoformat(),
    )
    [used] = of_kind(quarterly, "consumption")
    assert (D(used["quantity"]), D(used["unit_price"])) == (D(150), D("1.20"))  # 650 - 500 m3
    [fixed] = of_kind(quarterly, "fixed_costs")
    assert D(fixed["quantity"]) == (quarter_end - start).days + 1
    assert_reconciles(quarterly)
    assert issued_event(kafka, quarterly["id"])["kind"] == "quarterly"


def test_a_contract_billed_on_its_readings_gets_an_invoice_when_a_reading_arrives(
    gateway: httpx.Client, kafka: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    start = first_of_next_month(today())
    product = gas_product(kafka, (start - timedelta(days=30), None, "1.20", "0.25"))
    contract_id = gas_contract(kafka, customer.customer_number, product, start)
    assert billed_from_next_month(gateway, auth, contract_id, "on_reading") == start
    meter = f"M-{uuid.uuid4().hex[:10]}"
    # The first index measures nothing: no invoice.
    gas_reading(kafka, customer.customer_number, contract_id, meter, "500", start)
    assert invoices_of(gateway, auth, contract_id) == []
    # The customer's next reading is billed on real consumption through its day.
    read_on = start + timedelta(days=20)
    gas_reading(kafka, customer.customer_number, contract_id, meter, "540", read_on)
    [periodic] = invoices_of(gateway, auth, contract_id)
    assert (periodic["kind"], periodic["period_start"], periodic["period_end"], periodic["estimated"]) == (
        "periodic",
        start.isoformat(),
        read_on.isoformat(),
        False,
    )
    [used] = of_kind(periodic, "consumption")
    assert D(used["quantity"]) == D(40)  # 540 - 500 m3
    assert_reconciles(periodic)
    assert issued_event(kafka, periodic["id"])["kind"] == "periodic"
