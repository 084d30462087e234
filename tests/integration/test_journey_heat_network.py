"""Journey 1, a heat-network customer (001): registers with customer number and postcode,
activates the account from the email, logs in, sees heat in GJ and hot tap water in m3 for the
year by month (and a month by day), changes the monthly advance (confirmed by email, from the
next period), and sees the next advance invoice with the open balance and downloads its PDF.

Operations conclude the contract (`contracts create-contract`), the grid operators' hub places
the smart heat meter and sends its hourly data, and the monthly advance run is the scheduled
command; everything the customer does goes through the gateway."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_stack import MailCatcherClient

AMS = ZoneInfo("Europe/Amsterdam")


def hours(day: date) -> list[datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=AMS)
    return [(start.astimezone(UTC) + timedelta(hours=n)).astimezone(AMS) for n in range(24)]


def series(period: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in period["series"] if s["name"] == name)


def test_heat_network_customer_from_registration_to_the_invoice_pdf(
    gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, cli: Any, helpers: Any
) -> None:
    number, ean = helpers.new_customer_number(), helpers.new_ean()
    contract_id = cli.create_contract(
        number, name="Warmte Klant", commodity="heat", product_code="WARMTE", fixed_term_end=None,
        start_date="2025-01-01", supply_postcode="3511AB", meter_location="indoors", ean=ean,
        annual_gj="30", annual_m3="40",
    )  # fmt: skip
    email, password = f"warmte{number}@example.nl", "een stevig wachtwoord"

    # Registration: customer number and postcode (as on the invoice, typed loosely).
    body = {"customer_number": number, "postcode": "3511 ab", "email": email, "password": password}
    helpers.eventually(  # identity learns the customer from contracts' CustomerRegistered
        lambda: gateway.post("/identity/v1/registrations", json=body).status_code == 202, timeout=30
    )
    early = gateway.post("/identity/v1/sessions", json={"email": email, "password": password})
    # not active before the email's link is followed
    assert (early.status_code, early.json()["type"]) == (403, "/problems/account-not-activated"), early.text
    helpers.activate_from_mail(gateway, mail, email)
    auth = helpers.log_in(gateway, email, password)
    activations = kafka.envelopes(
        "identity.account-activated.v1", lambda es: any(e["data"].get("email") == email for e in es)
    )
    [activated] = [e for e in activations if e["data"].get("email") == email]
    assert activated["data"]["customer_number"] == number

    # The hub places the smart heat meter and sends hourly heat and hot tap water.
    placed = helpers.meter_installed(
        ean, f"W{uuid.uuid4().hex[:10]}", date(2025, 1, 1), {"heat": (6, "100"), "hot_water": (6, "20")},
        smart=True,
    )  # fmt: skip
    kafka.publish_event(placed, ean, "hub")
    helpers.publish_intervals(kafka, ean, "heat", "GJ", hours(date(2026, 1, 10)), "0.01")
    helpers.publish_intervals(kafka, ean, "heat", "GJ", hours(date(2026, 2, 3)), "0.02")
    helpers.publish_intervals(kafka, ean, "hot_water", "m3", hours(date(2026, 1, 10))[7:9], "0.05")

    def consumption(path: str) -> dict[str, Any] | None:
        response = gateway.get(f"/metering/v1/contracts/{contract_id}/consumption{path}", headers=auth)
        return response.json() if response.status_code == 200 else None

    def year_with_data() -> dict[str, Any] | None:
        year = consumption("/years/2026")
        done = year and series(year["period"], "heat")["points"][1]["intervals_received"] == 24
        return year if done and series(year["period"], "hot_water")["points"][0]["value"] else None

    year = helpers.eventually(year_with_data, timeout=60)["period"]
    heat, hot_water = series(year, "heat"), series(year, "hot_water")
    assert (heat["unit"], hot_water["unit"]) == ("GJ", "m3")
    assert [p["label"] for p in heat["points"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert [p["value"] for p in heat["points"][:3]] == ["0.240", "0.480", None]  # March: a gap, not 0
    assert hot_water["points"][0]["value"] == "0.100"
    january = consumption("/months/2026-01")
    assert january is not None
    days = series(january["period"], "heat")["points"]
    assert len(days) == 31 and (days[9]["label"], days[9]["value"]) == ("2026-01-10", "0.240")

    # The monthly advance: recommended from the expected volumes, changed for the next period.
    advance_url = f"/billing/v1/contracts/{contract_id}/advance"
    plan = helpers.eventually(
        lambda: (
            (r := gateway.get(advance_url, headers=auth)).status_code == 200
            and r.json()["current_amount"]
            and r.json()
        )
    )
    # (30 GJ x 44.628099 + 40 m3 x 10.743802 + 365 x 1.057851) x 1.21 / 12 = 217.27 -> 217
    assert (plan["current_amount"], plan["recommended_amount"]) == ("217.00", "217.00")
    next_period = date.fromisoformat(plan["next_period_start"])
    changed = gateway.put(advance_url, headers=auth, json={"amount": "200.00"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["current_amount"], changed.json()["next_period_amount"]) == ("217.00", "200.00")
    announced = kafka.about("billing.advance-changed.v1", contract_id, count=2)[-1]["data"]
    assert (announced["amount"], announced["changed_by"], announced["effective_from"]) == (
        "200.00",
        "customer",
        next_period.isoformat(),
    )
    mail.wait_for(lambda m: email in m.to and "200,00" in (m.text or ""), timeout=30)

    # The advance run of the next month (the scheduled command) invoices the new amount.
    summary = json.loads(cli("billing", "advance-run", "--month", f"{next_period:%Y-%m}"))
    assert summary["issued"] >= 1
    [invoice] = helpers.eventually(lambda: gateway.get("/billing/v1/invoices", headers=auth).json()["items"])
    assert (invoice["kind"], invoice["status"], invoice["total_incl_vat"]) == ("advance", "open", "200.00")
    assert invoice["period_start"] == next_period.isoformat()
    [issued] = kafka.about("billing.invoice-issued.v1", invoice["id"])
    assert (issued["data"]["contract_id"], issued["data"]["total_incl_vat"]) == (contract_id, "200.00")
    document_mail = mail.wait_for(
        lambda m: email in m.to and invoice["number"] in (m.subject or ""), timeout=30
    )
    assert "200,00" in (document_mail.text or "")
    balance = gateway.get("/billing/v1/balance", headers=auth)
    assert balance.status_code == 200, balance.text
    assert (balance.json()["open_total"], balance.json()["overdue"]) == ("200.00", False)

    pdf = gateway.get(f"/billing/v1/invoices/{invoice['id']}/pdf", headers=auth)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    printed = helpers.text_of(pdf.content)
    assert invoice["number"] in printed and "€ 200,00" in printed
    assert "Warmte Klant" in printed and "3511 AB" in printed
    assert re.search(r"Stadswarmte|[Vv]oorschot", printed), printed
