"""Forgotten password: the request at the gateway (the web's form and the app's), the email in
the catcher, the new password by the link or the code, and the confirmation mail."""

from __future__ import annotations

import re
from typing import Any

import httpx

from portal_stack import MailCatcherClient


def test_reset_email_arrives_with_a_working_link(
    gateway: httpx.Client, mail: MailCatcherClient, customer: Any, helpers: Any
) -> None:
    response = gateway.post("/identity/v1/password-resets", json={"email": customer.email})
    assert response.status_code == 202
    message = mail.wait_for(lambda m: customer.email in m.to, timeout=30)
    assert message.text and message.html
    lines = message.text.splitlines()
    links = [
        line.strip() for line in lines if re.fullmatch(r"\s*https?://\S+reset-password\?token=\S+\s*", line)
    ]
    assert len(links) == 1, message.text  # alone on its line: survives copy and paste
    token = links[0].split("token=", 1)[1]
    assert token in message.html

    new_password = "another sturdy passphrase"
    confirmed = gateway.post(
        "/identity/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["access_token"]  # signed in at once
    helpers.log_in(gateway, customer.email, new_password)
    old = gateway.post("/identity/v1/sessions", json={"email": customer.email, "password": customer.password})
    assert old.status_code == 401
    reused = gateway.post(
        "/identity/v1/password-resets/confirm", json={"token": token, "new_password": "yet another one!"}
    )
    assert reused.status_code == 400


def test_unknown_address_gets_the_same_answer_and_no_email(
    gateway: httpx.Client, mail: MailCatcherClient, customer: Any
) -> None:
    known = gateway.post("/identity/v1/password-resets", json={"email": customer.email})
    unknown_address = "nobody-" + customer.email
    unknown = gateway.post("/identity/v1/password-resets", json={"email": unknown_address})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    mail.wait_for(lambda m: customer.email in m.to, timeout=30)
    assert not [m for m in mail.list() if unknown_address in m.to]


def test_app_reset_with_the_code_names_the_broken_rules_and_mails_a_confirmation(
    gateway: httpx.Client, mail: MailCatcherClient, customer: Any, helpers: Any
) -> None:
    # The app's form: user name and address (an account without an old-portal name uses its address).
    asked = gateway.post(
        "/identity/v1/password-resets", json={"email": customer.email, "username": customer.email}
    )
    assert asked.status_code == 202, asked.text
    reset = mail.wait_for(lambda m: customer.email in m.to, timeout=30)
    [code] = re.findall(r"^\s*(\d{6})\s*$", reset.text or "", flags=re.MULTILINE)

    def confirm(new_password: str) -> httpx.Response:
        body = {"email": customer.email, "code": code, "new_password": new_password}
        return gateway.post("/identity/v1/password-resets/confirm", json=body)

    weak = confirm(customer.email)
    assert weak.status_code == 422, weak.text
    assert weak.json()["type"] == "/problems/password-rejected"
    assert [r["rule"] for r in weak.json()["rules"]] == ["contains-email"]
    new_password = "an app-chosen sturdy passphrase"
    confirmed = confirm(new_password)  # the refusal did not use the code up
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["access_token"]
    helpers.log_in(gateway, customer.email, new_password)
    notice = mail.wait_for(lambda m: customer.email in m.to and m.id != reset.id, timeout=30)
    assert "gewijzigd" in (notice.subject or "")
    assert code not in (notice.text or "")
