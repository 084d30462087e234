"""An account of the old portal: imported, first log-in, new password, email check, signed in."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from portal_stack import MailCatcherClient


def test_first_log_in_of_a_migrated_account(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, tmp_path: Path, helpers: Any
) -> None:
    suffix = uuid.uuid4().hex[:8]
    username, email = f"oudeklant{suffix}", f"oud{suffix}@example.nl"
    old_password = "het oude wachtwoord van toen"
    csv = tmp_path / "legacy.csv"
    hashed = helpers.legacy_hash(old_password, suffix.encode())
    csv.write_text(
        "legacy_username,email,customer_number,password_hash,language\n"
        f"{username},{email},{helpers.new_customer_number()},{hashed},nl\n"
    )
    assert cli("identity", "import-legacy", str(csv)).startswith("imported 1")

    first = gateway.post("/identity/v1/sessions", json={"username": username, "password": old_password})
    assert first.status_code == 403, first.text
    assert first.json()["type"] == "/problems/password-change-required"

    new_password = "a brand new sturdy passphrase"
    changed = gateway.post(
        "/identity/v1/legacy-migrations/password",
        json={"migration_token": first.json()["migration_token"], "new_password": new_password},
    )
    assert changed.status_code == 202, changed.text

    # The address check says why it comes: the account moved from the old portal.
    moved = mail.wait_for(lambda m: email in m.to and "activate?token=" in (m.text or ""), timeout=30)
    assert "overstap naar ons nieuwe klantportaal" in moved.subject
    assert "ons oude klantportaal" in " ".join((moved.text or "").split())
    helpers.activate_from_mail(gateway, mail, email)
    helpers.log_in(gateway, email, new_password)
    old = gateway.post("/identity/v1/sessions", json={"username": username, "password": old_password})
    assert old.status_code == 401  # the old portal's password is gone
