"""Contracts' customer flows through the gateway, with the events read from Kafka: a new
contract request, confirmed by the confirmation job (ContractCreated), withdrawal within 14
days, a move with a new address (ContractMoved, and CustomerRegistered with the new postcode),
a refused IBAN, and contact, payment and billing-address changes announced without the phone
number or the IBAN in the clear; a move without a new address ending one home's contract; a
request starting after the current contract, refused by operations."""

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
    created = kafka.about("contracts.contract-created.v1", request["contract_id"])
    assert [e["data"]["product_code"] for e in created] == ["VAST-3JR"]

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
    [event] = kafka.about("contracts.contract-withdrawn.v1", request["contract_id"])
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
    iban = "NL91ABNA0417164300"
    paid = gateway.put(
        "/contracts/v1/customer/payment", headers=auth, json={"method": "direct_debit", "iban": iban}
    )
    assert paid.status_code == 200, paid.text
    assert paid.json()["payment_method"] == "direct_debit"
    assert paid.json()["iban"] != iban and paid.json()["iban"].endswith("4300")  # shown masked
    billing = gateway.put(
        "/contracts/v1/customer/billing-address",
        headers=auth,
        json={"street": "Stationsplein", "house_number": 5, "postcode": "3511 ce", "city": "Utrecht"},
    )
    assert billing.status_code == 200, billing.text
    assert billing.json()["billing_postcode"] == "3511CE"

    def changes(kind: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        mine = [e for e in events if e["subject"] == customer.customer_number]
        return [e for e in mine if e["data"].get("changed") == [kind]]

    kinds = ("contact", "payment", "billing_address")
    details = kafka.envelopes(
        "contracts.customer-details-changed.v1", lambda evs: all(changes(k, evs) for k in kinds)
    )
    [contact] = changes("contact", details)
    assert "0612345678" not in str(contact)
    [payment] = changes("payment", details)
    assert payment["data"]["payment_method"] == "direct_debit" and payment["data"]["sealed_iban"]
    assert iban not in str(payment)  # sealed for billing, never in the clear
    [address] = changes("billing_address", details)
    assert (address["data"]["billing_postcode"], address["data"]["billing_city"]) == ("3511CE", "Utrecht")

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
    [move] = kafka.about("contracts.contract-moved.v1", customer.contract_id)
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


def test_a_move_without_a_new_address_ends_the_contract_of_the_home_named(
    gateway: httpx.Client, kafka: Any, customer: Any, helpers: Any, cli: Any
) -> None:
    """An owner of two homes leaves one and registers no new address: the contract named ends on
    the move-out date through the termination rules; the other home's contract runs on."""
    second_home = cli.create_contract(customer.customer_number, supply_postcode="9711CD")
    auth = helpers.log_in(gateway, customer.email, customer.password)
    move_out = datetime.now(ZoneInfo("Europe/Amsterdam")).date() + timedelta(days=10)

    moved = gateway.post(
        "/contracts/v1/moves",
        headers=auth,
        json={"move_out_date": move_out.isoformat(), "contract_ids": [second_home]},
    )
    assert moved.status_code == 201, moved.text
    assert (moved.json()["outcome"], moved.json()["contract_ids"]) == ("terminated", [second_home])
    [ended] = kafka.about("contracts.contract-terminated.v1", second_home)
    assert (ended["data"]["reason"], ended["data"]["end_date"]) == ("move", move_out.isoformat())
    assert ended["data"]["fee_is_final"] is False  # final once the contract has ended

    def status(contract_id: str) -> str:
        response = gateway.get(f"/contracts/v1/contracts/{contract_id}", headers=auth)
        assert response.status_code == 200, response.text
        return str(response.json()["status"])

    assert (status(second_home), status(customer.contract_id)) == ("terminating", "active")


def test_a_request_starts_after_the_current_contract_and_operations_refuse_it(
    gateway: httpx.Client, kafka: Any, customer: Any, helpers: Any, cli: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    current_end = today + timedelta(days=60)  # within 6 months: supply starts the day after
    requested = gateway.post(
        "/contracts/v1/contract-requests",
        headers=auth,
        json={
            "commodity": "gas",
            "product_code": "VAST-3JR",
            "ean": helpers.new_ean(),
            "capacity": "6 m3(n)/h",
            "current_contract_end": current_end.isoformat(),
            "supply_address": {
                "street": "Dorpsweg",
                "house_number": 3,
                "postcode": "9711CD",
                "city": "Groningen",
            },
        },
    )
    assert requested.status_code == 201, requested.text
    request = requested.json()
    assert request["start_date"] == (current_end + timedelta(days=1)).isoformat()

    url = f"/contracts/v1/admin/contract-requests/{request['id']}/refusal"
    reason = {"reason": "De netbeheerder kent deze aansluiting niet."}
    assert gateway.post(url, headers=auth, json=reason).status_code == 401
    refused = gateway.post(url, headers=cli.operator_headers(), json=reason)
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["refusal_reason"]) == ("refused", reason["reason"])
    [shown] = gateway.get("/contracts/v1/contract-requests", headers=auth).json()["items"]
    assert (shown["id"], shown["status"], shown["withdrawal_until"]) == (request["id"], "refused", None)
    [event] = kafka.about("contracts.contract-request-refused.v1", request["contract_id"])
    assert (event["data"]["request_id"], event["data"]["reason"]) == (request["id"], reason["reason"])
    again = gateway.post(url, headers=cli.operator_headers(), json=reason)
    assert again.status_code == 409
    assert again.json()["type"] == "/problems/contract-request-decided"
