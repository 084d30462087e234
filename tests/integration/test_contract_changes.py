"""Changes to running contracts through the gateway on the real stack: a unilateral price change
(free termination until it takes effect), operations lowering a termination fee down to the
final invoice, a renewal accepted by the customer, and a co-holder's read-only access."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_schemas.contracts import (
    ContractAmended,
    ContractCreated,
    ContractTerminated,
    RenewalProposed,
    UnilateralChangeAnnounced,
)

PASSWORD = "a sturdy passphrase"


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Amsterdam")).date()


def withdrawn_product(cli: Any, tmp_path: Path) -> str:
    """A 3-year product no longer on sale, dearer than today's VAST-3JR (0.247934 excl. VAT per
    kWh): a contract on it has a fee of (0.280000 - 0.247934) per remaining kWh. Its own code,
    so announcements for it reach this test's contracts only."""
    code = f"OUD-3JR-{uuid.uuid4().hex[:8]}"
    file = tmp_path / "withdrawn.toml"
    file.write_text(
        f"""
[[product]]
code = "{code}"
name = "Vast 3 jaar (2025)"
kind = "fixed"
term_months = 36
commodities = ["electricity"]
on_sale = false

[[product.tariff]]
commodity = "electricity"
valid_from = 2025-01-01
vat_rate = "0.21"
fixed_costs_per_day = "0.198347"
unit_prices = {{ electricity_single = "0.280000", electricity_normal = "0.290000" }}
"""
    )
    assert cli("contracts", "import-catalogue", str(file)) == "1"
    return code


def contract_on(cli: Any, customer_number: str, product_code: str, **options: str) -> str:
    """An electricity contract from 2026-01-01 to 2028-12-31, concluded on 2025-12-01, unless
    ``options`` say otherwise."""
    chosen = {"fixed_term_end": "2028-12-31", "concluded_on": "2025-12-01", **options}
    return str(cli.create_contract(customer_number, product_code=product_code, **chosen))


def data_for(kafka: Any, model: Any, contract_id: str, count: int = 1) -> list[dict[str, Any]]:
    """The ``data`` of the first ``count`` events of ``model``'s topic about the contract."""
    return [e["data"] for e in kafka.about(model.topic(), contract_id, count)]


def test_unilateral_change_makes_ending_free_until_it_takes_effect(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any, tmp_path: Path
) -> None:
    product = withdrawn_product(cli, tmp_path)
    contract_id = contract_on(cli, customer.customer_number, product, annual_kwh="3000")
    auth = helpers.log_in(gateway, customer.email, customer.password)
    end = (today() + timedelta(days=20)).isoformat()
    quote = gateway.get(
        f"/contracts/v1/contracts/{contract_id}/termination-fee", params={"end_date": end}, headers=auth
    )
    assert quote.status_code == 200, quote.text
    assert Decimal(quote.json()["fee"]["total_incl_vat"]) > 0  # without the change it costs

    ops = cli.operator_headers()
    effective = (today() + timedelta(days=45)).isoformat()
    body = {
        "kind": "price",
        "effective_date": effective,
        "description": "Nieuwe tarieven per " + effective,
        "commodity": "electricity",
        "product_codes": [product],
    }
    too_soon = gateway.post(
        "/contracts/v1/admin/unilateral-changes",
        json={**body, "effective_date": (today() + timedelta(days=29)).isoformat()},
        headers=ops,
    )
    assert too_soon.status_code == 422, too_soon.text
    assert too_soon.headers["content-type"].startswith("application/problem+json")
    by_customer = gateway.post("/contracts/v1/admin/unilateral-changes", json=body, headers=auth)
    assert by_customer.status_code in (401, 403)

    first = gateway.post("/contracts/v1/admin/unilateral-changes", json=body, headers=ops)
    assert first.status_code == 201, first.text
    assert first.json()["contracts_notified"] == 1
    again = gateway.post("/contracts/v1/admin/unilateral-changes", json=body, headers=ops)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    reworded = gateway.post(
        "/contracts/v1/admin/unilateral-changes", json={**body, "description": "Anders"}, headers=ops
    )
    assert reworded.status_code == 409
    assert reworded.json()["change_id"] == first.json()["change_id"]

    [announced] = data_for(kafka, UnilateralChangeAnnounced, contract_id)
    assert (announced["change_id"], announced["effective_date"]) == (first.json()["change_id"], effective)
    assert announced["customer_number"] == customer.customer_number
    # The termination is written after the repeated POST: once it is on Kafka, a second
    # announcement (relayed before it by the same outbox) would be too.
    terminated = gateway.post(
        f"/contracts/v1/contracts/{contract_id}/termination",
        headers=auth,
        json={"end_date": end, "reason": "switch"},
    )
    assert terminated.status_code == 201, terminated.text
    fee = terminated.json()["fee"]
    assert (fee["total_incl_vat"], fee["basis"]) == ("0.00", "unilateral_change")
    [ended] = data_for(kafka, ContractTerminated, contract_id)
    assert Decimal(ended["termination_fee"]) == 0
    assert len(data_for(kafka, UnilateralChangeAnnounced, contract_id)) == 1


def test_operations_lower_the_fee_and_the_final_invoice_charges_that(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any, tmp_path: Path
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    # The default catalogue prices VAST-3JR the same then and now: no fee for the fixture's contract.
    end = today() + timedelta(days=10)
    quote = gateway.get(
        f"/contracts/v1/contracts/{customer.contract_id}/termination-fee",
        params={"end_date": end.isoformat()},
        headers=auth,
    )
    assert quote.status_code == 200, quote.text
    assert Decimal(quote.json()["fee"]["total_incl_vat"]) == 0
    contract_id = contract_on(
        cli, customer.customer_number, withdrawn_product(cli, tmp_path), annual_kwh="3000"
    )

    terminated = gateway.post(
        f"/contracts/v1/contracts/{contract_id}/termination",
        headers=auth,
        json={"end_date": end.isoformat(), "reason": "switch"},
    )
    assert terminated.status_code == 201, terminated.text
    provisional = terminated.json()["fee"]
    # About two years of 3000 kWh at 0.032066 a kWh: far above the adjusted 20.00.
    assert Decimal(provisional["amount_excl_vat"]) > Decimal("100")
    assert provisional["is_final"] is False

    ops = cli.operator_headers()
    url = f"/contracts/v1/admin/contracts/{contract_id}/fee-adjustment"
    by_customer = gateway.post(url, json={"amount_excl_vat": "1.00", "reason": "x"}, headers=auth)
    assert by_customer.status_code in (401, 403)
    raised = gateway.post(url, json={"amount_excl_vat": "100000.00", "reason": "typo"}, headers=ops)
    assert raised.status_code == 422, raised.text
    both = gateway.post(url, json={"amount_excl_vat": "1.00", "waive": True, "reason": "x"}, headers=ops)
    assert both.status_code == 422
    lowered = gateway.post(
        url, json={"amount_excl_vat": "20.00", "reason": "Goodwill: moving abroad"}, headers=ops
    )
    assert lowered.status_code == 200, lowered.text
    # 20.00 + 21 % VAT 4.20 = 24.20
    assert (lowered.json()["amount_excl_vat"], lowered.json()["termination_fee"]) == ("20.00", "24.20")

    day_after = (end + timedelta(days=1)).isoformat()
    cli("contracts", "end-due-contracts", "--today", day_after)
    first, final = data_for(kafka, ContractTerminated, contract_id, count=2)
    assert first["fee_is_final"] is False
    assert Decimal(first["termination_fee_excl_vat"]) == Decimal(provisional["amount_excl_vat"])
    assert final["fee_is_final"] is True
    assert (Decimal(final["termination_fee_excl_vat"]), Decimal(final["termination_fee"])) == (
        Decimal("20.00"),
        Decimal("24.20"),
    )
    after = gateway.post(url, json={"waive": True, "reason": "too late"}, headers=ops)
    assert after.status_code == 409  # the final fee is out
    # No final reading comes: ten days after the end billing settles with an estimated index.
    kafka.wait_until_handled(ContractTerminated.topic(), contract_id, "billing.final-settlement")
    cli("billing", "settle-due-finals", "--today", (end + timedelta(days=10)).isoformat())

    def final_invoice() -> dict[str, Any] | None:
        items = gateway.get("/billing/v1/invoices", headers=auth).json()["items"]
        return next((i for i in items if i["contract_id"] == contract_id), None)

    invoice = helpers.eventually(final_invoice, timeout=30)
    detail = gateway.get(f"/billing/v1/invoices/{invoice['id']}", headers=auth)
    assert detail.status_code == 200, detail.text
    [fee_line] = [line for line in detail.json()["lines"] if line["kind"] == "termination_fee"]
    assert Decimal(fee_line["amount_excl_vat"]) == Decimal("20.00")
    assert Decimal(fee_line["vat_rate"]) == Decimal("0.21")


def test_renewal_proposed_and_accepted(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    term_end = today() + timedelta(days=20)
    contract_id = contract_on(
        cli, customer.customer_number, "VAST-1JR", commodity="gas",
        start_date=(term_end - timedelta(days=364)).isoformat(), fixed_term_end=term_end.isoformat(),
        concluded_on="2025-10-01",
    )  # fmt: skip
    auth = helpers.log_in(gateway, customer.email, customer.password)
    url = f"/contracts/v1/contracts/{contract_id}/renewal"
    early = gateway.post(url, json={"product_code": "VAST-1JR"}, headers=auth)
    assert early.status_code == 409  # nothing proposed yet

    cli("contracts", "propose-renewals", "--today", today().isoformat())
    [proposal] = data_for(kafka, RenewalProposed, contract_id)
    assert (proposal["product_code"], proposal["fixed_term_end"]) == ("VAST-1JR", term_end.isoformat())

    variable = gateway.post(url, json={"product_code": "VARIABEL"}, headers=auth)
    assert variable.status_code == 422, variable.text
    accepted = gateway.post(url, json={"product_code": "VAST-3JR"}, headers=auth)
    assert accepted.status_code == 200, accepted.text
    start = term_end + timedelta(days=1)
    # A 36-month term from the day after the old one: up to the day before start + 3 years.
    new_end = date(start.year + 3, start.month, start.day) - timedelta(days=1)
    assert accepted.json()["effective_from"] == start.isoformat()
    assert accepted.json()["fixed_term_end"] == new_end.isoformat()
    assert gateway.post(url, json={"product_code": "VAST-3JR"}, headers=auth).status_code == 409

    amended = data_for(kafka, ContractAmended, contract_id)
    assert [(a["change"], a["product_code"], a["effective_from"]) for a in amended] == [
        ("renewal", "VAST-3JR", start.isoformat())
    ]
    overview = gateway.get(f"/contracts/v1/contracts/{contract_id}", headers=auth).json()["overview"]
    assert overview["price_guarantee_end"] == term_end.isoformat()  # the old term runs out first
    assert [(c["product_code"], c["price_guarantee_end"]) for c in overview["planned_changes"]] == [
        ("VAST-3JR", new_end.isoformat())
    ]


def test_a_co_holder_sees_the_contract_but_cannot_change_it(
    gateway: httpx.Client, kafka: Any, cli: Any, customer: Any, helpers: Any
) -> None:
    [record] = kafka.keyed(ContractCreated.topic(), customer.contract_id)
    kafka.wait_for_group("identity.contract-facts", record)
    contract_number = json.loads(record.value)["data"]["contract_number"]

    partner_number = helpers.new_customer_number()
    partner_contract = contract_on(cli, partner_number, "VAST-3JR")
    partner_email = f"partner{partner_number}@example.nl"
    partner_account = cli.create_account(partner_email, partner_number, PASSWORD)
    partner = helpers.log_in(gateway, partner_email, PASSWORD)

    def visible() -> list[str]:
        response = gateway.get("/contracts/v1/contracts", headers=partner)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert customer.contract_id not in visible()
    hidden = gateway.get(f"/contracts/v1/contracts/{customer.contract_id}", headers=partner)
    assert hidden.status_code == 404

    linked = gateway.post(
        "/identity/v1/admin/contract-links",
        json={"account_id": partner_account, "contract_number": contract_number, "role": "co_holder"},
        headers=cli.operator_headers(),
    )
    assert linked.status_code == 201, linked.text

    helpers.eventually(lambda: customer.contract_id in visible(), timeout=30)
    assert partner_contract in visible()
    shown = gateway.get(f"/contracts/v1/contracts/{customer.contract_id}", headers=partner)
    assert shown.status_code == 200, shown.text
    options = gateway.patch(
        f"/contracts/v1/contracts/{customer.contract_id}/options", headers=partner, json={"e_invoice": True}
    )
    assert options.status_code == 404, options.text
    terminate = gateway.post(
        f"/contracts/v1/contracts/{customer.contract_id}/termination",
        headers=partner,
        json={"end_date": (today() + timedelta(days=40)).isoformat(), "reason": "switch"},
    )
    assert terminate.status_code == 404
    holder = helpers.log_in(gateway, customer.email, customer.password)
    own = gateway.get(f"/contracts/v1/contracts/{customer.contract_id}", headers=holder).json()
    assert own["status"] == "active"  # the co-holder's attempts changed nothing
