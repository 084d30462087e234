"""Journey 2: an electricity and gas customer with a smart meter, as they live it.

The old portal's account is migrated (first log-in with the old user name and password, a new
password, the address confirmed from the mail), the customer consents to the smart meter being
read for both contracts, the hub's interval data arrives on the feed topic and shows month by
day, the year's settlement is issued (InvoiceIssued, then the mail) and paid by card on the
payment provider's page. Everything the customer does goes through the gateway; the hub's
messages are published as its adapter would, the daily job is run as operations would.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_schemas.billing import InvoiceIssued, InvoicePaid
from portal_schemas.metering import MeterReadingReceived, SmartMeterConsentGranted, SmartMeterDataRequested
from portal_stack import MailCatcherClient, Stack

AMS = ZoneInfo("Europe/Amsterdam")


def quarter_hours_or_hours(day: date, minutes: int) -> list[datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=AMS)
    return [start + timedelta(minutes=minutes * n) for n in range(24 * 60 // minutes)]


def test_smart_meter_customer_from_migration_to_a_paid_settlement(
    stack: Stack,
    gateway: httpx.Client,
    mail: MailCatcherClient,
    kafka: Any,
    cli: Any,
    tmp_path: Path,
    helpers: Any,
) -> None:
    today = datetime.now(AMS).date()
    start = today - timedelta(days=380)  # supplied for a year and a bit
    anniversary = date(start.year + 1, start.month, min(start.day, 28))
    number = helpers.new_customer_number()
    power_ean, gas_ean = helpers.new_ean(), helpers.new_ean()
    suffix = uuid.uuid4().hex[:8]
    username, email = f"slim{suffix}", f"slim{suffix}@example.nl"
    old_password, new_password = "mijn oude wachtwoord", "a fresh and sturdy passphrase"

    # The customer's two contracts and the old portal's account, as the migration left them.
    legacy_csv = tmp_path / "legacy.csv"
    legacy_csv.write_text(
        "legacy_username,email,customer_number,password_hash,language\n"
        f"{username},{email},{number},{helpers.legacy_hash(old_password, suffix.encode())},nl\n"
    )
    # A fixed three-year term: one price all year, so one consumption line per register.
    term_end = date(start.year + 3, start.month, min(start.day, 28)).isoformat()
    common = {"start_date": start.isoformat(), "fixed_term_end": term_end, "meter_location": "indoors"}
    power_cmd = cli.contract_command(number, **common, ean=power_ean, annual_kwh="2500")
    imported, power_id = cli.together(("identity", ("import-legacy", str(legacy_csv)), ""), power_cmd)
    assert imported.startswith("imported 1")
    gas_id = cli.create_contract(number, **common, commodity="gas", ean=gas_ean, annual_m3="1200")

    # First log-in: the old user name and password ask for a new password, the mail confirms
    # the address, then the new password signs in by email.
    first = gateway.post("/identity/v1/sessions", json={"username": username, "password": old_password})
    assert (first.status_code, first.json()["type"]) == (403, "/problems/password-change-required")
    changed = gateway.post(
        "/identity/v1/legacy-migrations/password",
        json={"migration_token": first.json()["migration_token"], "new_password": new_password},
    )
    assert changed.status_code == 202, changed.text
    helpers.activate_from_mail(gateway, mail, email)
    auth = helpers.log_in(gateway, email, new_password)
    helpers.eventually(
        lambda: (
            {c["contract_id"] for c in gateway.get("/identity/v1/me/contracts", headers=auth).json()["items"]}
            >= {power_id, gas_id}
        )
    )

    # The grid operator placed smart meters on both connections when supply started.
    def consent_url(contract_id: str) -> str:
        return f"/metering/v1/contracts/{contract_id}/smart-meter-consent"

    for contract_id in (power_id, gas_id):
        helpers.eventually(lambda c=contract_id: gateway.get(consent_url(c), headers=auth).status_code == 200)
    for ean, registers in ((power_ean, {"electricity_single": (6, "1000")}), (gas_ean, {"gas": (5, "500")})):
        placed = helpers.meter_installed(ean, f"SM-{uuid.uuid4().hex[:8]}", start, registers, smart=True)
        kafka.publish_event(placed, ean, "hub")

    # Consent for both, for the terms in force.
    for contract_id in (power_id, gas_id):
        helpers.eventually(
            lambda c=contract_id: gateway.get(consent_url(c), headers=auth).json()["smart_meter"]
        )
        terms = gateway.get(consent_url(contract_id), headers=auth).json()["current_terms_version"]
        granted = gateway.put(consent_url(contract_id), headers=auth, json={"terms_version": terms})
        assert (granted.status_code, granted.json()["status"]) == (200, "granted"), granted.text
        [consent] = kafka.about(SmartMeterConsentGranted.topic(), contract_id)
        assert consent["data"]["customer_number"] == number
    for ean in (power_ean, gas_ean):
        [asked] = kafka.about(SmartMeterDataRequested.topic(), ean)
        assert datetime.fromisoformat(asked["data"]["data_from"]) == datetime.combine(
            start, datetime.min.time(), tzinfo=AMS
        )
    thanks = "we mogen je slimme meter op afstand uitlezen"
    helpers.eventually(lambda: len([m for m in mail.list() if email in m.to and thanks in m.subject]) == 2)

    # The hub answers with the interval data: two days of quarter hours, a day of gas hours.
    month = date(start.year + (start.month == 12), start.month % 12 + 1, 1)  # the first whole month
    for ean, channel, unit, minutes, day, value in (
        (power_ean, "electricity_consumption", "kWh", 15, month, "0.25"),
        (power_ean, "electricity_consumption", "kWh", 15, month + timedelta(1), "0.125"),
        (gas_ean, "gas", "m3", 60, month, "0.5"),
    ):
        starts = quarter_hours_or_hours(day, minutes)
        helpers.publish_intervals(kafka, ean, channel, unit, starts, value, minutes=minutes)

    def by_day(contract_id: str, name: str) -> list[dict[str, Any]]:
        shown = gateway.get(
            f"/metering/v1/contracts/{contract_id}/consumption/months/{month:%Y-%m}", headers=auth
        )
        assert shown.status_code == 200, shown.text
        return list(next(s for s in shown.json()["period"]["series"] if s["name"] == name)["points"])

    def power_days() -> list[dict[str, Any]] | None:
        points = by_day(power_id, "consumption")
        return points if points[1]["intervals_received"] == 96 else None

    days = helpers.eventually(power_days, timeout=30)
    assert len(days) == (date(month.year + (month.month == 12), month.month % 12 + 1, 1) - month).days
    assert [(d["value"], d["complete"]) for d in days[:3]] == [
        ("24.000", True),
        ("12.000", True),
        (None, False),
    ]
    gas_days = helpers.eventually(lambda: (p := by_day(gas_id, "gas"))[0]["value"] and p, timeout=30)
    assert (gas_days[0]["value"], gas_days[0]["intervals_received"]) == ("12.000", 24)

    # The customer reads both meters on the last day of the supply year.
    last_day = anniversary - timedelta(days=1)
    for contract_id, register, value in ((power_id, "electricity_single", "3420"), (gas_id, "gas", "1650")):
        read = gateway.post(
            "/metering/v1/readings",
            headers=auth,
            json={"contract_id": contract_id, "register_type": register, "value": value,
                  "read_at": last_day.isoformat()},
        )  # fmt: skip
        assert read.status_code == 201, read.text
        kafka.wait_until_handled(
            MeterReadingReceived.topic(), read.json()["meter_id"], "billing.reading-view"
        )

    # The daily job settles the year; the settlement is announced and mailed.
    cli("billing", "annual-settlements", "--today", today.isoformat())
    items = gateway.get("/billing/v1/invoices", params={"limit": 100}, headers=auth).json()["items"]
    assert sorted((i["contract_id"], i["kind"]) for i in items) == sorted(
        [(power_id, "annual_settlement"), (gas_id, "annual_settlement")]
    )
    [settlement] = [i for i in items if i["contract_id"] == power_id]
    detail = gateway.get(f"/billing/v1/invoices/{settlement['id']}", headers=auth).json()
    [used] = [line for line in detail["lines"] if line["kind"] == "consumption"]
    assert Decimal(used["quantity"]) == Decimal(2420)  # 3420 - 1000 kWh
    assert (detail["period_start"], detail["period_end"]) == (start.isoformat(), last_day.isoformat())
    [issued] = kafka.about(InvoiceIssued.topic(), settlement["id"])
    assert (issued["data"]["kind"], issued["data"]["total_incl_vat"]) == (
        "annual_settlement",
        settlement["total_incl_vat"],
    )
    assert issued["data"]["estimated"] is False
    news = mail.wait_for(lambda m: email in m.to and settlement["number"] in m.subject, timeout=30)
    assert "jaarafrekening" in news.subject
    assert helpers.euro_nl(settlement["total_incl_vat"]) in " ".join((news.text or "").split())

    # Paid by card on the provider's hosted page.
    started = gateway.post(f"/billing/v1/invoices/{settlement['id']}/card-payment", headers=auth)
    assert started.status_code == 201, started.text
    page_url = started.json()["redirect_url"]
    assert page_url.startswith(f"{stack.provider_url}/pay/")
    with httpx.Client(timeout=30) as browser:
        page = browser.get(page_url)
        assert page.status_code == 200 and f"EUR {settlement['total_incl_vat']}" in page.text
        paid = browser.post(f"{page_url}/succeed")
        assert paid.status_code == 303 and "status=succeeded" in paid.headers["location"]
    [paid_event] = kafka.about(InvoicePaid.topic(), settlement["id"])
    assert paid_event["data"]["customer_number"] == number
    assert gateway.get(f"/billing/v1/invoices/{settlement['id']}", headers=auth).json()["status"] == "paid"
    receipt = mail.wait_for(lambda m: email in m.to and "betaling van" in m.subject, timeout=30)
    assert helpers.euro_nl(settlement["total_incl_vat"]) in receipt.subject and "kaartbetaling" in (
        receipt.text or ""
    )
    assert re.search(r"Ontvangen op:\s+\d", receipt.text or "")
