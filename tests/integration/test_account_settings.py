"""Account settings through the gateway: password, login address, preferences, and the mails."""

from __future__ import annotations

import re
from typing import Any

import httpx

from portal_stack import MailCatcherClient


def test_password_change_ends_the_other_session_and_mails_the_owner(
    gateway: httpx.Client, mail: MailCatcherClient, customer: Any, helpers: Any
) -> None:
    def log_in() -> dict[str, Any]:
        answer = gateway.post(
            "/identity/v1/sessions", json={"email": customer.email, "password": customer.password}
        )
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        return body

    mine, other = log_in(), log_in()
    new_password = "a changed sturdy passphrase"
    changed = gateway.post(
        "/identity/v1/me/password",
        headers={"Authorization": f"Bearer {mine['access_token']}"},
        json={"current_password": customer.password, "new_password": new_password},
    )
    assert changed.status_code == 204, changed.text

    ended = gateway.post("/identity/v1/sessions/refresh", json={"refresh_token": other["refresh_token"]})
    assert ended.status_code == 401
    kept = gateway.post("/identity/v1/sessions/refresh", json={"refresh_token": mine["refresh_token"]})
    assert kept.status_code == 200
    notice = mail.wait_for(
        lambda m: customer.email in m.to and "wachtwoord" in (m.subject or "").lower(), timeout=30
    )
    assert notice.text and "reset-password?token=" not in notice.text
    helpers.log_in(gateway, customer.email, new_password)


def test_email_change_confirmed_by_the_link(
    gateway: httpx.Client, mail: MailCatcherClient, customer: Any, helpers: Any
) -> None:
    headers = helpers.log_in(gateway, customer.email, customer.password)
    new_email = "nieuw-" + customer.email
    asked = gateway.post(
        "/identity/v1/me/email-change",
        headers=headers,
        json={"password": customer.password, "new_email": new_email},
    )
    assert asked.status_code == 202, asked.text

    verification = mail.wait_for(
        lambda m: new_email in m.to and "confirm-email?token=" in (m.text or ""), timeout=30
    )
    notice = mail.wait_for(lambda m: customer.email in m.to, timeout=30)  # its only mail so far
    assert "confirm-email?token=" not in (notice.text or "")  # the old address cannot confirm
    token = re.search(r"confirm-email\?token=(\S+)", verification.text or "")
    code = re.search(r"\b(\d{6})\b", verification.text or "")
    assert token is not None and code is not None

    confirmed = gateway.post("/identity/v1/email-changes/confirm", json={"token": token.group(1)})
    assert confirmed.status_code == 204, confirmed.text
    helpers.log_in(gateway, new_email, customer.password)
    old = gateway.post("/identity/v1/sessions", json={"email": customer.email, "password": customer.password})
    assert old.status_code == 401
    me = gateway.get("/identity/v1/me", headers=headers)
    assert me.json()["email"] == new_email


def test_preferences_round_trip(gateway: httpx.Client, customer: Any, helpers: Any) -> None:
    headers = helpers.log_in(gateway, customer.email, customer.password)
    wanted = {
        "language": "en",
        "offers": True,
        "news": False,
        "energy_saving_advice": True,
        "time_zone": "Europe/Brussels",
    }
    put = gateway.put("/identity/v1/me/preferences", headers=headers, json=wanted)
    assert put.status_code == 200, put.text
    assert gateway.get("/identity/v1/me/preferences", headers=headers).json() == wanted
    assert gateway.get("/identity/v1/me", headers=headers).json()["preferences"] == wanted
    bad = gateway.put("/identity/v1/me/preferences", headers=headers, json={**wanted, "language": "xx"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert gateway.get("/identity/v1/me/preferences", headers=headers).json() == wanted
