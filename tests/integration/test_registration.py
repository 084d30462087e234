"""Registering with customer number and postcode, activating from the email (by the link or
by the code; a resend within 15 minutes sends nothing), logging in."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from portal_stack import MailCatcherClient


def test_register_with_customer_number_and_billing_postcode_then_activate(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, helpers: Any
) -> None:
    number = str(uuid.uuid4().int)[:9]
    cli.create_contract(
        number, name="Warmte Klant", commodity="heat", product_code="WARMTE", fixed_term_end=None,
        billing_postcode="5678CD",
    )  # fmt: skip
    email = f"nieuw{number}@example.nl"
    body = {
        "customer_number": number,
        "postcode": "5678 cd",  # the billing address counts too, typed loosely
        "email": email,
        "password": "a sturdy passphrase",
        "language": "en",
    }
    # identity learns the customer from contracts' CustomerRegistered: retry until it has
    helpers.eventually(
        lambda: gateway.post("/identity/v1/registrations", json=body).status_code == 202,
        timeout=30,
    )
    message = mail.wait_for(lambda m: email in m.to, timeout=30)
    links = [
        line.strip()
        for line in (message.text or "").splitlines()
        if re.fullmatch(r"\s*https?://\S+/activate\?token=\S+\s*", line)
    ]
    assert len(links) == 1, message.text
    token = links[0].split("token=", 1)[1]

    before = gateway.post("/identity/v1/sessions", json={"email": email, "password": "a sturdy passphrase"})
    assert before.status_code in (401, 403)  # not active yet
    activated = gateway.post("/identity/v1/activations", json={"token": token})
    assert activated.status_code == 204, activated.text
    helpers.log_in(gateway, email, "a sturdy passphrase")
    again = gateway.post("/identity/v1/activations", json={"token": token})
    assert again.status_code == 400


def test_wrong_postcode_and_business_customers_are_refused(
    gateway: httpx.Client, cli: Any, helpers: Any
) -> None:
    number = str(uuid.uuid4().int)[:9]
    cli.create_contract(
        number, name="Bakkerij BV", commodity="gas", product_code="ZAKELIJK", fixed_term_end=None,
        supply_postcode="3011AA", segment="business",
    )  # fmt: skip
    body = {
        "customer_number": number,
        "postcode": "3011AA",
        "email": f"zaak{number}@example.nl",
        "password": "a sturdy passphrase",
        "language": "nl",
    }
    refused = helpers.eventually(
        lambda: (
            (r := gateway.post("/identity/v1/registrations", json=body)).json().get("type")
            == "/problems/business-customer"
            and r
        ),
        timeout=30,
    )
    assert refused.status_code == 422
    wrong = gateway.post(
        "/identity/v1/registrations", json={**body, "customer_number": "1", "postcode": "9999ZZ"}
    )
    assert wrong.status_code == 422
    assert wrong.json()["type"] == "/problems/registration-not-matched"


def test_a_resend_within_15_minutes_sends_nothing_and_the_code_activates(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, databases: Any, helpers: Any
) -> None:
    number = helpers.new_customer_number()
    cli.create_contract(number)
    email = f"code{number}@example.nl"
    body = {
        "customer_number": number,
        "postcode": "1234AB",
        "email": email,
        "password": "a sturdy passphrase",
    }
    kafka.wait_until_handled("contracts.customer-registered.v1", number, "identity.registration-facts")
    registered = gateway.post("/identity/v1/registrations", json=body)
    assert registered.status_code == 202, registered.text
    message = mail.wait_for(lambda m: email in m.to, timeout=30)
    [code] = re.findall(r"^\s*(\d{6})\s*$", message.text or "", flags=re.MULTILINE)

    resent = gateway.post("/identity/v1/activations/resend", json={"email": email})
    assert resent.status_code == 202, resent.text
    activations = databases["identity"].fetch(
        "SELECT a.ended_at FROM activations a JOIN accounts ON accounts.id = a.account_id WHERE email = $1",
        email,
    )
    assert [row["ended_at"] for row in activations] == [None]  # throttled: the first mail stays valid

    wrong = "000000" if code != "000000" else "111111"
    refused = gateway.post("/identity/v1/activations", json={"email": email, "code": wrong})
    assert refused.status_code == 400, refused.text
    assert refused.json()["type"] == "/problems/activation-invalid"
    activated = gateway.post("/identity/v1/activations", json={"email": email, "code": code})
    assert activated.status_code == 204, activated.text
    helpers.log_in(gateway, email, "a sturdy passphrase")
