"""Journey 5, locked out (002): a customer signed in on two devices, writing in French, types a
wrong password three times: the account is locked for three hours (AccountLocked, an email with
the way out); the reset link of the "forgot password" email sets a new password, which unlocks
the account (AccountUnlocked, PasswordChanged, a confirmation email) and signs the customer in,
and every session opened before the reset is gone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from portal_stack import MailCatcherClient


def test_locked_out_then_back_in_by_a_reset_with_every_older_session_gone(
    gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, customer: Any, helpers: Any
) -> None:
    def log_in(password: str, **extra: Any) -> httpx.Response:
        body = {"email": customer.email, "password": password, **extra}
        return gateway.post("/identity/v1/sessions", json=body)

    def refresh(token: str) -> httpx.Response:
        return gateway.post("/identity/v1/sessions/refresh", json={"refresh_token": token})

    laptop, phone = log_in(customer.password).json(), log_in(customer.password, stay_signed_in=True).json()
    auth = {"Authorization": f"Bearer {laptop['access_token']}"}
    french = {"language": "fr", "offers": False, "news": False, "energy_saving_advice": False}
    assert gateway.put("/identity/v1/me/preferences", headers=auth, json=french).status_code == 200

    # Three failures in a row: the third locks the account for three hours.
    assert [log_in("not my password").status_code for _ in range(2)] == [401, 401]
    locked = log_in("not my password")
    assert locked.status_code == 423, locked.text
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert 3 * 3600 - 60 < int(locked.headers["retry-after"]) <= 3 * 3600
    assert log_in(customer.password).status_code == 423  # the right password waits too
    [event] = kafka.about("identity.account-locked.v1", customer.account_id)
    assert event["data"]["failed_attempts"] == 3
    until = datetime.fromisoformat(event["data"]["locked_until"])
    assert timedelta(hours=2, minutes=59) < until - datetime.now(UTC) <= timedelta(hours=3)
    warning = mail.wait_for(lambda m: customer.email in m.to and "bloqué" in (m.subject or ""), timeout=30)
    assert "forgot-password" in (warning.text or "") and warning.html

    # "Mot de passe oublié": the link in the email sets a new password.
    asked = gateway.post("/identity/v1/password-resets", json={"email": customer.email})
    assert asked.status_code == 202, asked.text
    [requested] = kafka.about("identity.password-reset-requested.v1", customer.account_id)
    assert "token" not in requested["data"]  # only sealed, for notifications
    reset_mail = mail.wait_for(
        lambda m: customer.email in m.to and "reset-password?token=" in (m.text or ""), timeout=30
    )
    assert reset_mail.subject == "Choisissez un nouveau mot de passe pour le portail client"
    [token] = re.findall(r"reset-password\?token=(\S+)", reset_mail.text or "")
    new_password = "un nouveau mot de passe solide"
    confirmed = gateway.post(
        "/identity/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert confirmed.status_code == 200, confirmed.text
    signed_in = confirmed.json()
    me = gateway.get("/identity/v1/me", headers={"Authorization": f"Bearer {signed_in['access_token']}"})
    assert me.status_code == 200 and me.json()["status"] == "active", me.text

    [unlocked] = kafka.about("identity.account-unlocked.v1", customer.account_id)
    assert unlocked["data"]["by"] == "password_reset"
    [changed] = kafka.about("identity.password-changed.v1", customer.account_id)
    assert changed["data"]["reason"] == "reset"
    notice = mail.wait_for(lambda m: customer.email in m.to and "modifié" in (m.subject or ""), timeout=30)
    assert token not in (notice.text or "")

    # Unlocked: the new password signs in, the old one no longer does; the sessions of both
    # devices from before the reset are gone, the new one lives on.
    assert log_in(new_password).status_code == 201
    assert log_in(customer.password).status_code == 401
    assert refresh(laptop["refresh_token"]).status_code == 401
    assert refresh(phone["refresh_token"]).status_code == 401
    assert refresh(signed_in["refresh_token"]).status_code == 200
