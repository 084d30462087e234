"""Portal access on request, decided by operations, and operations unlocking an account."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

from portal_stack import MailCatcherClient


def _open_request_id(gateway: httpx.Client, ops: dict[str, str], email: str, helpers: Any) -> str:
    def find() -> str | None:
        page = gateway.get("/identity/v1/admin/access-requests", params={"limit": 100}, headers=ops)
        assert page.status_code == 200, page.text
        ids = [item["id"] for item in page.json()["items"] if item["email"] == email]
        return ids[0] if ids else None

    found: str = helpers.eventually(find)
    return found


def _ask(gateway: httpx.Client, email: str) -> None:
    number = str(uuid.uuid4().int)[:9]
    answer = gateway.post(
        "/identity/v1/access-requests",
        json={"name": "Sanne Bakker", "customer_number": number, "email": email},
    )
    assert answer.status_code == 202, answer.text


def test_approved_request_mails_an_invitation_that_signs_in(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, helpers: Any
) -> None:
    email = f"aanvraag-{uuid.uuid4().hex[:10]}@example.nl"
    _ask(gateway, email)
    ops = cli.operator_headers()
    request_id = _open_request_id(gateway, ops, email, helpers)
    approved = gateway.post(f"/identity/v1/admin/access-requests/{request_id}/approval", headers=ops)
    assert approved.status_code == 200, approved.text
    assert approved.json()["decision"] == "approved"

    invitation = mail.wait_for(
        lambda m: email in m.to and "accept-invitation?token=" in (m.text or ""), timeout=30
    )
    token = re.search(r"accept-invitation\?token=(\S+)", invitation.text or "")
    assert token is not None
    password = "my very own sturdy passphrase"
    accepted = gateway.post(
        "/identity/v1/invitations/accept", json={"token": token.group(1), "password": password}
    )
    assert accepted.status_code == 200, accepted.text
    session = accepted.json()
    me = gateway.get("/identity/v1/me", headers={"Authorization": f"Bearer {session['access_token']}"})
    assert me.status_code == 200
    assert me.json()["status"] == "active"
    helpers.log_in(gateway, email, password)
    again = gateway.post(
        "/identity/v1/invitations/accept", json={"token": token.group(1), "password": password}
    )
    assert again.status_code == 400


def test_refused_request_mails_the_reason(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, helpers: Any
) -> None:
    email = f"aanvraag-{uuid.uuid4().hex[:10]}@example.nl"
    _ask(gateway, email)
    received = mail.wait_for(lambda m: email in m.to, timeout=30)  # "we received your request"
    ops = cli.operator_headers()
    request_id = _open_request_id(gateway, ops, email, helpers)
    refused = gateway.post(
        f"/identity/v1/admin/access-requests/{request_id}/refusal",
        headers=ops,
        json={"reason": "details_do_not_match"},
    )
    assert refused.status_code == 200, refused.text
    refusal = mail.wait_for(lambda m: email in m.to and m.id != received.id, timeout=30)
    assert refusal.text and "accept-invitation" not in refusal.text
    twice = gateway.post(f"/identity/v1/admin/access-requests/{request_id}/approval", headers=ops)
    assert twice.status_code == 409


def test_operations_unlock_a_locked_account(
    gateway: httpx.Client, customer: Any, cli: Any, helpers: Any
) -> None:
    for _ in range(3):
        gateway.post("/identity/v1/sessions", json={"email": customer.email, "password": "wrong one"})
    locked = gateway.post(
        "/identity/v1/sessions", json={"email": customer.email, "password": customer.password}
    )
    assert locked.status_code == 423

    ops = cli.operator_headers()
    found = gateway.get("/identity/v1/admin/accounts", params={"email": customer.email}, headers=ops)
    assert found.status_code == 200, found.text
    [account] = found.json()["items"]
    assert account["id"] == customer.account_id and account["locked_until"]
    unlocked = gateway.post(f"/identity/v1/admin/accounts/{account['id']}/unlock", headers=ops)
    assert unlocked.status_code == 204, unlocked.text
    helpers.log_in(gateway, customer.email, customer.password)
    again = gateway.post(f"/identity/v1/admin/accounts/{account['id']}/unlock", headers=ops)
    assert again.status_code == 409
