"""Registering with a registration letter's code or the latest invoice, adding a second
contract by code, and the contracts an account sees (identity fed by contracts and billing)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import (
    ContractCreated,
    ContractTerminated,
    CustomerRegistered,
    RegistrationCodeIssued,
)
from portal_stack import MailCatcherClient

PASSWORD = "a sturdy passphrase"


def new_contract(cli: Any, kafka: Any, customer_number: str) -> tuple[str, str]:
    """A contract for a new private customer; returns its id and number once identity knows
    both the customer and the contract."""
    contract_id = cli.create_contract(customer_number, name="Klant")
    kafka.wait_until_handled(CustomerRegistered.topic(), customer_number, "identity.registration-facts")
    [record] = kafka.keyed(ContractCreated.topic(), contract_id)
    kafka.wait_for_group("identity.contract-facts", record)
    return contract_id, json.loads(record.value)["data"]["contract_number"]


def issue_code(cli: Any, kafka: Any, contract_id: str, contract_number: str) -> str:
    """The code printed for the letter, once identity has its hash."""
    code: str = cli("contracts", "issue-registration-code", "--contract-number", contract_number)
    kafka.wait_until_handled(RegistrationCodeIssued.topic(), contract_id, "identity.registration-codes")
    return code


def contract_numbers(gateway: httpx.Client, auth: dict[str, str]) -> list[str]:
    response = gateway.get("/identity/v1/me/contracts", headers=auth)
    assert response.status_code == 200, response.text
    return [item["contract_number"] for item in response.json()["items"]]


def test_register_by_letter_code_then_add_a_second_contract(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, helpers: Any
) -> None:
    customer_number = str(uuid.uuid4().int)[:9]
    contract_id, contract_number = new_contract(cli, kafka, customer_number)
    code = issue_code(cli, kafka, contract_id, contract_number)
    assert len(code) == 8
    email = f"brief{customer_number}@example.nl"
    body = {
        "contract_number": contract_number,
        "registration_code": code,
        "email": email,
        "password": PASSWORD,
    }

    wrong = gateway.post(
        "/identity/v1/registrations/contract-code", json={**body, "registration_code": "Wrong234"}
    )
    assert wrong.status_code == 422 and wrong.json()["type"] == "/problems/registration-not-matched"
    registered = gateway.post("/identity/v1/registrations/contract-code", json=body)
    assert registered.status_code == 202, registered.text
    helpers.activate_from_mail(gateway, mail, email)
    auth = helpers.log_in(gateway, email, PASSWORD)
    assert contract_numbers(gateway, auth) == [contract_number]

    # A second contract, of another customer (a partner's), added with its own letter.
    other_id, other_number = new_contract(cli, kafka, str(uuid.uuid4().int)[:9])
    other_code = issue_code(cli, kafka, other_id, other_number)
    added = gateway.post(
        "/identity/v1/me/contracts",
        json={"contract_number": other_number, "registration_code": other_code},
        headers=auth,
    )
    assert added.status_code == 201, added.text
    assert contract_numbers(gateway, auth) == [contract_number, other_number]
    reused = gateway.post(
        "/identity/v1/registrations/contract-code",
        json={**body, "contract_number": other_number, "registration_code": other_code, "email": "x" + email},
    )
    assert reused.status_code == 422  # a letter's code works once


def test_register_with_the_final_invoice(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    [record] = kafka.keyed(ContractCreated.topic(), customer.contract_id)
    contract_number = json.loads(record.value)["data"]["contract_number"]
    terminated = gateway.post(
        f"/contracts/v1/contracts/{customer.contract_id}/termination",
        headers=auth,
        json={"end_date": "2027-06-30", "reason": "switch"},
    )
    assert terminated.status_code in (200, 201), terminated.text
    cli("contracts", "end-due-contracts", "--today", "2027-07-01")  # the final fee
    # No final reading comes: after ten days billing settles with an estimated index.
    kafka.keyed(ContractTerminated.topic(), customer.contract_id, count=2)
    kafka.wait_until_handled(ContractTerminated.topic(), customer.contract_id, "billing.final-settlement")
    cli("billing", "settle-due-finals", "--today", "2027-07-10")
    [invoice] = helpers.eventually(
        lambda: gateway.get("/billing/v1/invoices", headers=auth).json()["items"], timeout=30
    )
    kafka.wait_until_handled(InvoiceIssued.topic(), invoice["id"], "identity.latest-invoices")

    email = f"factuur{customer.customer_number}@example.nl"
    body = {
        "contract_number": contract_number,
        "invoice_number": invoice["number"],
        "amount": str(invoice["total_incl_vat"]).replace(".", ","),  # as printed: 98,00
        "email": email,
        "password": PASSWORD,
    }
    wrong = gateway.post("/identity/v1/registrations/invoice", json={**body, "amount": "0,01"})
    assert wrong.status_code == 422 and wrong.json()["type"] == "/problems/registration-not-matched"
    registered = gateway.post("/identity/v1/registrations/invoice", json=body)
    assert registered.status_code == 202, registered.text
    helpers.activate_from_mail(gateway, mail, email)
    mine = helpers.log_in(gateway, email, PASSWORD)
    assert contract_numbers(gateway, mine) == [contract_number]


def registered_account(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, helpers: Any
) -> tuple[str, str, dict[str, str]]:
    """A new customer with a contract and an active account; returns the address, the
    contract number and the account's bearer header."""
    customer_number = str(uuid.uuid4().int)[:9]
    contract_id, contract_number = new_contract(cli, kafka, customer_number)
    email = f"klant{customer_number}@example.nl"
    body = {
        "contract_number": contract_number,
        "registration_code": issue_code(cli, kafka, contract_id, contract_number),
        "email": email,
        "password": PASSWORD,
    }
    assert gateway.post("/identity/v1/registrations/contract-code", json=body).status_code == 202
    helpers.activate_from_mail(gateway, mail, email)
    return email, contract_number, helpers.log_in(gateway, email, PASSWORD)


def test_an_existing_account_links_a_letter_by_its_password_and_is_told_by_mail(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, helpers: Any
) -> None:
    email, contract_number, auth = registered_account(gateway, mail, cli, kafka, helpers)
    other_id, other_number = new_contract(cli, kafka, str(uuid.uuid4().int)[:9])
    body = {
        "contract_number": other_number,
        "registration_code": issue_code(cli, kafka, other_id, other_number),
        "email": email,
        "password": "not the account's password",
    }
    mismatch = gateway.post("/identity/v1/registrations/contract-code", json=body)
    assert mismatch.status_code == 401
    assert mismatch.json()["type"] == "/problems/registration-password-mismatch"
    linked = gateway.post("/identity/v1/registrations/contract-code", json={**body, "password": PASSWORD})
    assert linked.status_code == 200, linked.text
    assert contract_numbers(gateway, auth) == [contract_number, other_number]
    told = mail.wait_for(lambda m: email in m.to and other_number in (m.subject or ""), timeout=30)
    assert "/contracts" in (told.text or "")


def test_operations_add_a_co_holder_and_merge_two_accounts(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, helpers: Any
) -> None:
    holder_email, holder_contract, holder_auth = registered_account(gateway, mail, cli, kafka, helpers)
    partner_email, partner_contract, partner_auth = registered_account(gateway, mail, cli, kafka, helpers)
    ops = cli.operator_headers("ops-integration")

    def account_id(email: str) -> str:
        found = gateway.get("/identity/v1/admin/accounts", params={"email": email}, headers=ops)
        assert found.status_code == 200, found.text
        [item] = found.json()["items"]
        return str(item["id"])

    assert (
        gateway.get(
            "/identity/v1/admin/accounts", params={"email": holder_email}, headers=holder_auth
        ).status_code
        == 401
    )
    co_holder = gateway.post(
        "/identity/v1/admin/contract-links",
        json={
            "account_id": account_id(partner_email),
            "contract_number": holder_contract,
            "role": "co_holder",
        },
        headers=ops,
    )
    assert co_holder.status_code == 201, co_holder.text
    assert contract_numbers(gateway, partner_auth) == [partner_contract, holder_contract]
    told = mail.wait_for(lambda m: partner_email in m.to and holder_contract in (m.subject or ""), timeout=30)
    assert "co-holder" in (told.text or "") or "mede" in (told.text or "")

    merged = gateway.post(
        "/identity/v1/admin/account-merges",
        json={"keep_account_id": account_id(holder_email), "merge_account_id": account_id(partner_email)},
        headers=ops,
    )
    assert merged.is_success, merged.text
    assert contract_numbers(gateway, holder_auth) == [holder_contract, partner_contract]
    closed = gateway.post("/identity/v1/sessions", json={"email": partner_email, "password": PASSWORD})
    assert closed.status_code == 401
