"""Journey 4, moving (002, 003): a customer reports a move a week ahead (5 to 10 days' notice;
4 is too short). The contract moves along (ContractMoved, a confirmation email), metering
follows it (the meter stays at the old address after the move-out day, a new one is placed at
the new address on the move-in day), and the next invoice shows the new supply address while
the invoice from before the move keeps the old one.

The monthly advance run is the scheduled command operations start; everything else goes
through the gateway."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_stack import MailCatcherClient

AMS = ZoneInfo("Europe/Amsterdam")


def month_before(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def test_a_move_reported_a_week_ahead_takes_contract_meter_and_invoice_along(
    gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, cli: Any, new_customer: Any, helpers: Any
) -> None:
    customer = new_customer(annual_kwh="2500", ean=helpers.new_ean())
    contract_id = customer.contract_id
    auth = helpers.log_in(gateway, customer.email, customer.password)
    today = datetime.now(AMS).date()

    def my_invoices() -> list[dict[str, Any]]:
        return list(gateway.get("/billing/v1/invoices", headers=auth).json()["items"])

    def pdf(invoice: dict[str, Any]) -> str:
        response = gateway.get(f"/billing/v1/invoices/{invoice['id']}/pdf", headers=auth)
        assert response.status_code == 200, response.text
        return str(helpers.text_of(response.content))

    def advance_run(month: date) -> dict[str, Any]:
        invoiced = {i["id"] for i in my_invoices()}
        assert json.loads(cli("billing", "advance-run", "--month", f"{month:%Y-%m}"))["issued"] >= 1
        [new] = helpers.eventually(lambda: [i for i in my_invoices() if i["id"] not in invoiced])
        assert (new["kind"], new["period_start"]) == ("advance", month.isoformat())
        return dict(new)

    # Before the move: last month's advance, at the old address.
    before = advance_run(month_before(today))
    assert "1234 AB" in pdf(before)
    [placed] = helpers.eventually(lambda: gateway.get("/metering/v1/meters", headers=auth).json()["items"])

    # The move: too short a notice is refused and changes nothing; a week ahead is accepted.
    move_out, move_in = today + timedelta(days=7), today + timedelta(days=8)
    new_address = {"street": "Dorpsweg", "house_number": 3, "postcode": "9711 cd", "city": "Groningen"}
    report = {
        "move_out_date": move_out.isoformat(),
        "move_in_date": move_in.isoformat(),
        "new_address": new_address,
    }
    too_soon = gateway.post(
        "/contracts/v1/moves",
        headers=auth,
        json={**report, "move_out_date": (today + timedelta(days=4)).isoformat()},
    )
    assert too_soon.status_code == 422, too_soon.text
    assert too_soon.json()["type"] == "/problems/invalid-move"
    moved = gateway.post("/contracts/v1/moves", headers=auth, json=report)
    assert moved.status_code == 201, moved.text
    assert moved.json()["contract_ids"] == [contract_id]
    [event] = kafka.about("contracts.contract-moved.v1", contract_id)  # one move: the refusal wrote none
    assert {k: event["data"][k] for k in ("move_out_date", "move_in_date", "old_supply_postcode")} == {
        "move_out_date": move_out.isoformat(),
        "move_in_date": move_in.isoformat(),
        "old_supply_postcode": "1234AB",
    }
    assert (event["data"]["new_supply_postcode"], event["data"]["new_supply_city"]) == ("9711CD", "Groningen")
    contract = gateway.get(f"/contracts/v1/contracts/{contract_id}", headers=auth).json()
    assert contract["supply_postcode"] == "9711CD"
    confirmation = mail.wait_for(
        lambda m: customer.email in m.to and "verhuizing" in (m.subject or ""), timeout=30
    )
    assert "9711 CD" in (confirmation.text or "") and "1234 AB" in (confirmation.text or "")

    # Metering follows: the old meter's placement ends after the move-out day, a new meter
    # (not named by the grid operator yet) is placed at the new address on the move-in day.
    def meters() -> list[dict[str, Any]] | None:
        items = gateway.get("/metering/v1/meters", headers=auth).json()["items"]
        return sorted(items, key=lambda m: m["installed_on"]) if len(items) == 2 else None

    old, new = helpers.eventually(meters)
    assert (old["meter_id"], old["removed_on"]) == (
        placed["meter_id"],
        (move_out + timedelta(days=1)).isoformat(),
    )
    assert (new["installed_on"], new["removed_on"], new["serial"]) == (move_in.isoformat(), None, None)
    assert [r["register_type"] for r in new["registers"]] == ["electricity_single"]
    # Today, still at the old address, a reading goes to the old meter.
    reading = gateway.post(
        "/metering/v1/readings",
        headers=auth,
        json={
            "contract_id": contract_id,
            "register_type": "electricity_single",
            "value": "4321",
            "read_at": today.isoformat(),
        },
    )
    assert reading.status_code == 201, reading.text
    assert reading.json()["meter_id"] == old["meter_id"]

    # The next invoice (next month's advance) shows the new supply address; the one from before
    # the move, downloaded again, still the old one.
    kafka.wait_until_handled("contracts.contract-moved.v1", contract_id, "billing.contract-moves")
    after = advance_run(month_after(today))
    [issued] = kafka.about("billing.invoice-issued.v1", after["id"])
    assert issued["data"]["contract_id"] == contract_id
    mail.wait_for(lambda m: customer.email in m.to and after["number"] in (m.subject or ""), timeout=30)
    printed = pdf(after)
    assert "Dorpsweg 3" in printed and "9711 CD Groningen" in printed and "1234 AB" not in printed
    again = pdf(before)
    assert "1234 AB" in again and "Dorpsweg" not in again
