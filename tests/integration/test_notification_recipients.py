"""Notifications' recipients through the real flows: a contract concluded before its customer has
a portal account is confirmed by mail once the account is activated (greeting by the name
contracts knows, in the account's language), and the time zone chosen in the preferences
decides how a later email writes a time."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_stack import MailCatcherClient

PASSWORD = "a sturdy passphrase"


def test_a_contract_confirmation_waits_for_the_account_then_greets_by_name(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, databases: Any, helpers: Any
) -> None:
    number = helpers.new_customer_number()
    contract_id = cli.create_contract(number, name="Sanne de Vries")
    kafka.wait_until_handled(
        "contracts.contract-created.v1", contract_id, "notifications.contract-confirmation-email"
    )
    notifications = databases["notifications"]
    parked = notifications.fetch("SELECT handler FROM parked_events WHERE customer_number = $1", number)
    # With the contract come its documents (conditions, the contract itself): parked alike.
    assert "contract-confirmation-email" in {row["handler"] for row in parked}
    assert notifications.fetch("SELECT id FROM deliveries WHERE customer_number = $1", number) == []

    email = f"geparkeerd{number}@example.nl"
    kafka.wait_until_handled("contracts.customer-registered.v1", number, "identity.registration-facts")
    body = {
        "customer_number": number,
        "postcode": "1234AB",
        "email": email,
        "password": PASSWORD,
        "language": "en",
    }
    registered = gateway.post("/identity/v1/registrations", json=body)
    assert registered.status_code == 202, registered.text
    helpers.activate_from_mail(gateway, mail, email)

    # Not just "contract": the released documents' subjects name it too ("Contract confirmation").
    confirmation = mail.wait_for(
        lambda m: email in m.to and (m.subject or "").startswith("Confirmation of your"), timeout=30
    )
    assert confirmation.subject.startswith("Confirmation of your electricity contract")
    assert "Dear Sanne de Vries," in (confirmation.text or "")
    [account] = databases["identity"].fetch("SELECT id FROM accounts WHERE email = $1", email)
    [delivery] = notifications.fetch(
        "SELECT account_id, language FROM deliveries"
        " WHERE customer_number = $1 AND kind = 'contract_confirmation'",
        number,
    )
    assert (delivery["account_id"], delivery["language"]) == (account["id"], "en")
    assert notifications.fetch("SELECT id FROM parked_events WHERE customer_number = $1", number) == []


def test_the_chosen_time_zone_writes_the_time_a_password_was_changed(
    gateway: httpx.Client, mail: MailCatcherClient, customer: Any, kafka: Any, helpers: Any
) -> None:
    headers = helpers.log_in(gateway, customer.email, customer.password)

    def change_password(old: str, new: str) -> tuple[str, datetime]:
        """The mail's text and the moment identity recorded, once the mail has arrived."""
        seen = {m.id for m in mail.list()}
        changed = gateway.post(
            "/identity/v1/me/password", headers=headers, json={"current_password": old, "new_password": new}
        )
        assert changed.status_code == 204, changed.text
        notice = mail.wait_for(
            lambda m: m.id not in seen and customer.email in m.to and "password" in (m.subject or "").lower(),
            timeout=30,
        )
        count = len(seen_events) + 1
        events = kafka.about("identity.password-changed.v1", customer.account_id, count=count)
        seen_events.append(events[-1])
        return notice.text or "", datetime.fromisoformat(events[-1]["data"]["changed_at"])

    seen_events: list[dict[str, Any]] = []
    # English (the mails' language comes with identity's events) and something else changed
    # for sure, so this is the account's first PreferencesChanged.
    preferences = {"language": "en", "offers": True, "news": False, "energy_saving_advice": False}
    assert gateway.put("/identity/v1/me/preferences", headers=headers, json=preferences).status_code == 200

    # No zone chosen: the supplier's, Amsterdam.
    text, at = change_password(customer.password, "a first new passphrase")
    assert f"{at.astimezone(ZoneInfo('Europe/Amsterdam')):%H:%M}" in text
    assert f"{at.astimezone(ZoneInfo('America/New_York')):%H:%M}" not in text

    chosen = gateway.put(
        "/identity/v1/me/preferences", headers=headers, json={**preferences, "time_zone": "America/New_York"}
    )
    assert chosen.status_code == 200 and chosen.json()["time_zone"] == "America/New_York"
    [_, zone_chosen] = kafka.keyed("identity.preferences-changed.v1", customer.account_id, count=2)
    kafka.wait_for_group("notifications.recipient-preferences", zone_chosen)
    text, at = change_password("a first new passphrase", "a second new passphrase")
    assert f"{at.astimezone(ZoneInfo('America/New_York')):%H:%M}" in text
    assert f"{at.astimezone(ZoneInfo('Europe/Amsterdam')):%H:%M}" not in text

    unknown = gateway.put(
        "/identity/v1/me/preferences", headers=headers, json={**preferences, "time_zone": "Mars/Olympus_Mons"}
    )
    assert unknown.status_code == 422
    assert unknown.headers["content-type"] == "application/problem+json"
    assert (
        gateway.get("/identity/v1/me/preferences", headers=headers).json()["time_zone"] == "America/New_York"
    )
