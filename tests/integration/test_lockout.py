"""Three wrong passwords lock the account for three hours; a password reset unlocks it."""

from __future__ import annotations

import re
import uuid
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


def test_password_spraying_from_one_client_is_stopped_at_the_gateway_address(gateway: httpx.Client) -> None:
    """One wrong guess at each of many addresses: no account locks, but the client does.

    The gateway trusts this machine as its balancer, so X-Forwarded-For stands in for clients
    elsewhere on the internet; the other tests' failures (from 127.0.0.1) do not count here."""
    sprayer, neighbour = f"203.0.113.{uuid.uuid4().int % 250 + 1}", "198.51.100.20"

    def guess(email: str, client: str) -> httpx.Response:
        return gateway.post(
            "/identity/v1/sessions",
            json={"email": email, "password": "Winter2026!!"},
            headers={"X-Forwarded-For": client},
        )

    statuses = [guess(f"target{i}@example.nl", sprayer).status_code for i in range(20)]
    assert statuses == [401] * 20
    refused = guess("target21@example.nl", sprayer)
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"] == "/problems/too-many-failures"
    assert 0 < int(refused.headers["retry-after"]) <= 15 * 60
    assert guess("target21@example.nl", neighbour).status_code == 401  # another client goes on
