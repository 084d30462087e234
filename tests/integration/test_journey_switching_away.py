"""Journey 3: a customer switches to another supplier in the middle of a fixed term.

The switching hub's notice ends the contract the day before the new supplier starts, with a
provisional early-termination fee (ContractTerminated, mailed); metering asks for the final
reading (FinalReadingRequested, mailed), the customer gives it through the gateway; the day
after the last day of supply the fee becomes final and billing issues the final settlement with
the fee line (InvoiceIssued, mailed); a grace period later the customer's portal access ends.
The hub's messages are published as its adapter would, the daily jobs run as operations would.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import ContractTerminated, TariffsPublished
from portal_schemas.hub import SwitchNoticeReceived
from portal_schemas.metering import FinalReadingRequested
from portal_stack import MailCatcherClient

AMS = ZoneInfo("Europe/Amsterdam")
GRACE_DAYS = 90  # IDENTITY_ACCESS_GRACE_DAYS, identity's default


def dearer_product(cli: Any, kafka: Any, tmp_path: Path) -> str:
    """A three-year product concluded when prices were higher (no longer on sale): leaving it
    early costs (0.280000 - 0.247934, today's VAST-3JR) per remaining kWh, excl. VAT."""
    code = f"OUD-3JR-{uuid.uuid4().hex[:8]}"
    file = tmp_path / "product.toml"
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
unit_prices = {{ electricity_single = "0.280000" }}
"""
    )
    assert cli("contracts", "import-catalogue", str(file)) == "1"
    kafka.wait_until_handled(TariffsPublished.topic(), code, "billing.tariffs")
    return code


def test_switching_away_to_the_final_settlement_and_the_end_of_portal_access(
    gateway: httpx.Client,
    mail: MailCatcherClient,
    kafka: Any,
    cli: Any,
    new_customer: Any,
    helpers: Any,
    tmp_path: Path,
) -> None:
    today = datetime.now(AMS).date()
    start = date(2026, 1, 1)
    # A three-year fixed term, 10 kWh a day expected, with a meter placed when supply started.
    product = dearer_product(cli, kafka, tmp_path)
    customer = new_customer(
        ean=helpers.new_ean(), product_code=product, concluded_on="2025-12-01", start_date=start.isoformat(),
        fixed_term_end="2028-12-31", meter_location="indoors", annual_kwh="3650",
    )  # fmt: skip
    contract_id = customer.contract_id
    auth = helpers.log_in(gateway, customer.email, customer.password)
    helpers.eventually(lambda: gateway.get("/metering/v1/meters", headers=auth).json()["items"])
    placed = helpers.meter_installed(
        customer.ean, f"E-{uuid.uuid4().hex[:8]}", start, {"electricity_single": (6, "20000")}, smart=False
    )
    kafka.publish_event(placed, customer.ean, "hub")
    helpers.eventually(lambda: gateway.get("/metering/v1/meters", headers=auth).json()["items"][0]["serial"])

    # The new supplier takes over tomorrow: our last day of supply is today.
    [created] = kafka.about("contracts.contract-created.v1", contract_id)
    notice = SwitchNoticeReceived(
        notice_id=uuid.uuid4().hex,
        contract_number=created["data"]["contract_number"],
        new_supplier="Andere Energie BV",
        intended_switch_date=today + timedelta(days=1),
    )
    kafka.publish_event(notice, notice.notice_id, "hub")
    [provisional] = [e["data"] for e in kafka.about(ContractTerminated.topic(), contract_id)]
    assert (provisional["end_date"], provisional["reason"]) == (today.isoformat(), "switch")
    assert provisional["fee_is_final"] is False
    fee = Decimal(provisional["termination_fee"])
    assert fee > 0  # two years of the fixed term left, at a price above today's
    confirmed = mail.wait_for(
        lambda m: customer.email in m.to and "Opzegging bevestigd" in m.subject, timeout=30
    )
    text = " ".join((confirmed.text or "").split())
    assert helpers.euro_nl(provisional["termination_fee"]) in text and "voorlopig" in text
    shown = gateway.get(f"/contracts/v1/contracts/{contract_id}", headers=auth).json()
    assert (shown["status"], shown["termination_fee_is_final"]) == ("terminating", False)

    # Metering asks for the final reading; the customer gives it for the last day.
    [asked] = [e["data"] for e in kafka.about(FinalReadingRequested.topic(), contract_id)]
    assert (asked["end_date"], asked["registers"]) == (today.isoformat(), ["electricity_single"])
    mail.wait_for(lambda m: customer.email in m.to and "Je eindmeterstanden op" in m.subject, timeout=30)
    used = 10 * (today - start).days
    read = gateway.post(
        "/metering/v1/readings",
        headers=auth,
        json={"contract_id": contract_id, "register_type": "electricity_single",
              "value": str(20000 + used), "read_at": today.isoformat()},
    )  # fmt: skip
    assert (read.status_code, read.json()["final"]) == (201, True), read.text
    day_after = (today + timedelta(days=1)).isoformat()

    # The day after the last day of supply the fee is final; billing settles at once.
    cli("contracts", "end-due-contracts", "--today", day_after)
    _, final = [e["data"] for e in kafka.about(ContractTerminated.topic(), contract_id, 2)]
    assert (final["fee_is_final"], Decimal(final["termination_fee"])) == (True, fee)
    [invoice] = helpers.eventually(
        lambda: gateway.get("/billing/v1/invoices", headers=auth).json()["items"], timeout=30
    )
    detail = gateway.get(f"/billing/v1/invoices/{invoice['id']}", headers=auth).json()
    assert (detail["kind"], detail["period_start"], detail["period_end"]) == (
        "final_settlement",
        start.isoformat(),
        today.isoformat(),
    )
    kinds = [(line["kind"], Decimal(line["quantity"])) for line in detail["lines"]]
    assert kinds[0] == ("termination_fee", Decimal(1))
    assert Decimal(detail["lines"][0]["amount_excl_vat"]) == Decimal(final["termination_fee_excl_vat"])
    assert ("consumption", Decimal(used)) in kinds
    [issued] = kafka.about(InvoiceIssued.topic(), invoice["id"])
    assert (issued["data"]["kind"], issued["data"]["estimated"]) == ("final_settlement", False)
    news = mail.wait_for(lambda m: customer.email in m.to and invoice["number"] in m.subject, timeout=30)
    assert "eindafrekening" in news.subject
    assert helpers.euro_nl(invoice["total_incl_vat"]) in " ".join((news.text or "").split())

    # Portal access lasts the grace period after the last day of supply (the daily job's
    # boundary is unit-tested), then ends: no log-in, no refreshed session.
    session = gateway.post(
        "/identity/v1/sessions", json={"email": customer.email, "password": customer.password}
    )
    assert session.status_code == 201
    after_grace = (today + timedelta(days=GRACE_DAYS + 1)).isoformat()
    assert cli("identity", "end-portal-access", "--today", after_grace) != "0"
    refused = gateway.post(
        "/identity/v1/sessions", json={"email": customer.email, "password": customer.password}
    )
    assert (refused.status_code, refused.json()["type"]) == (403, "/problems/portal-access-ended")
    refresh = {"refresh_token": session.json()["refresh_token"]}
    assert gateway.post("/identity/v1/sessions/refresh", json=refresh).status_code == 401
