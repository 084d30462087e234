"""Three wrong passwords lock the account for three hours; a password reset unlocks it."""

from __future__ import annotations

import re
from typing import Any

import httpx

from portal_stack import MailCatcherClient


def test_locked_after_three_failures_then_unlocked_by_a_reset(
    gateway: httpx.Client, mail: MailCatcherClient, customer: Any, helpers: Any
) -> None:
    def attempt(password: str) -> httpx.Response:
        return gateway.post("/identity/v1/sessions", json={"email": customer.email, "password": password})

    assert [attempt("wrong one").status_code for _ in range(2)] == [401, 401]
    third = attempt("wrong one")
    assert third.status_code == 423
    assert third.headers["content-type"].startswith("application/problem+json")
    assert int(third.headers["retry-after"]) > 3 * 3600 - 60
    assert attempt(customer.password).status_code == 423  # even the right password, for now

    locked = mail.wait_for(
        lambda m: customer.email in m.to and "forgot-password" in (m.text or ""), timeout=30
    )
    assert locked.html

    gateway.post("/identity/v1/password-resets", json={"email": customer.email})
    reset = mail.wait_for(
        lambda m: customer.email in m.to and "reset-password?token=" in (m.text or ""), timeout=30
    )
    token = re.search(r"token=(\S+)", reset.text or "")
    assert token is not None
    new_password = "a fresh sturdy passphrase"
    confirmed = gateway.post(
        "/identity/v1/password-resets/confirm",
        json={"token": token.group(1), "new_password": new_password},
    )
    assert confirmed.status_code == 200
    assert attempt(new_password).status_code == 201
