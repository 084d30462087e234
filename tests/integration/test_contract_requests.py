"""Contracts' customer flows through the gateway, with the events read from Kafka: a new
contract request, confirmed by the confirmation job (ContractCreated), withdrawal within 14
days, a move with a new address (ContractMoved, and CustomerRegistered with the new postcode),
a refused IBAN and a phone number change announced without the number."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx


def test_request_withdraw_move_and_payment(
    gateway: httpx.Client, kafka: Any, customer: Any, helpers: Any, cli: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()

    requested = gateway.post(
        "/contracts/v1/contract-requests",
        headers=auth,
        json={
            "commodity": "gas",
            "product_code": "VAST-3JR",
            "ean": helpers.new_ean(),
            "capacity": "6 m3(n)/h",
            "supply_address": {
                "street": "Kerkstraat",
                "house_number": 1,
                "postcode": "1234 ab",
                "city": "Utrecht",
            },
        },
    )
    assert requested.status_code == 201, requested.text
    request = requested.json()
    assert (request["status"], request["withdrawal_until"]) == ("requested", None)
    assert request["start_date"] == (today + timedelta(days=30)).isoformat()
    listed = gateway.get("/contracts/v1/contract-requests", headers=auth).json()
    assert [r["id"] for r in listed["items"]] == [request["id"]]

    assert int(cli("contracts", "confirm-contract-requests")) >= 1
    assert cli("contracts", "confirm-contract-requests") == "0"  # nothing left to confirm
    [confirmed] = gateway.get("/contracts/v1/contract-requests", headers=auth).json()["items"]
    assert confirmed["status"] == "confirmed"
    assert confirmed["withdrawal_until"] == (today + timedelta(days=14)).isoformat()
    created = kafka.envelopes(
        "contracts.contract-created.v1",
        lambda evs: any(e["subject"] == request["contract_id"] for e in evs),
    )
    assert [e["data"]["product_code"] for e in created if e["subject"] == request["contract_id"]] == [
        "VAST-3JR"
    ]

    too_big = gateway.post(
        "/contracts/v1/contract-requests",
        headers=auth,
        json={
            "commodity": "electricity",
            "product_code": "VAST-3JR",
            "ean": helpers.new_ean(),
            "capacity": "3x100A",
            "supply_address": {
                "street": "Kerkstraat",
                "house_number": 1,
                "postcode": "1234AB",
                "city": "Utrecht",
            },
        },
    )
    assert too_big.status_code == 422
    assert too_big.json()["type"].endswith("/large-consumer-connection")

    withdrawn = gateway.post(f"/contracts/v1/contracts/{request['contract_id']}/withdrawal", headers=auth)
    assert withdrawn.status_code == 201, withdrawn.text
    assert withdrawn.json()["fee"] == "0.00"
    assert (
        gateway.get("/contracts/v1/contract-requests", headers=auth).json()["items"][0]["status"]
        == "withdrawn"
    )
    events = kafka.envelopes(
        "contracts.contract-withdrawn.v1",
        lambda evs: any(e["subject"] == request["contract_id"] for e in evs),
    )
    [event] = [e for e in events if e["subject"] == request["contract_id"]]
    assert event["data"]["customer_number"] == customer.customer_number

    wrong_iban = gateway.put(
        "/contracts/v1/customer/payment",
        headers=auth,
        json={"method": "direct_debit", "iban": "NL92ABNA0417164300"},
    )
    assert wrong_iban.status_code == 422
    assert wrong_iban.headers["content-type"].startswith("application/problem+json")
    assert wrong_iban.json()["errors"][0]["field"] == "iban"
    assert gateway.get("/contracts/v1/customer", headers=auth).json()["payment_method"] == "transfer"

    phone = gateway.patch("/contracts/v1/customer/contact", headers=auth, json={"phone": "0612345678"})
    assert phone.status_code == 200, phone.text
    details = kafka.envelopes(
        "contracts.customer-details-changed.v1",
        lambda evs: any(
            e["subject"] == customer.customer_number and e["data"].get("changed") == ["contact"] for e in evs
        ),
    )
    [contact] = [
        e
        for e in details
        if e["subject"] == customer.customer_number and e["data"].get("changed") == ["contact"]
    ]
    assert "0612345678" not in str(contact)

    move_out = today + timedelta(days=10)
    moved = gateway.post(
        "/contracts/v1/moves",
        headers=auth,
        json={
            "move_out_date": move_out.isoformat(),
            "move_in_date": (move_out + timedelta(days=1)).isoformat(),
            "new_address": {
                "street": "Dorpsweg",
                "house_number": 3,
                "postcode": "9711CD",
                "city": "Groningen",
            },
        },
    )
    assert moved.status_code == 201, moved.text
    assert moved.json()["contract_ids"] == [customer.contract_id]
    moves = kafka.envelopes(
        "contracts.contract-moved.v1", lambda evs: any(e["subject"] == customer.contract_id for e in evs)
    )
    [move] = [e for e in moves if e["subject"] == customer.contract_id]
    assert move["data"]["new_supply_postcode"] == "9711CD"
    assert move["data"]["move_out_date"] == move_out.isoformat()
    registrations = kafka.envelopes(
        "contracts.customer-registered.v1",
        lambda evs: any(
            e["subject"] == customer.customer_number and "9711CD" in e["data"]["supply_postcodes"]
            for e in evs
        ),
    )
    assert registrations

    too_soon = gateway.post("/contracts/v1/moves", headers=auth, json={"move_out_date": today.isoformat()})
    assert too_soon.status_code == 422
