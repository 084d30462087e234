"""Newsletters through the gateway: operations send one, only the account opted in gets it, with
the one-click unsubscribe of RFC 8058; a mail client's POST to that address turns the newsletter
off in identity's preferences, and the next campaign reaches nobody there."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from portal_stack import MailCatcherClient


def send_campaign(gateway: httpx.Client, cli: Any, subject: str) -> dict[str, Any]:
    answer = gateway.post(
        "/notifications/v1/admin/campaigns",
        headers=cli.operator_headers("ops-newsletters"),
        json={
            "newsletter": "news",
            "content": {
                "nl": {"subject": subject, "body": "Beste lezer,\n\nDit is ons nieuws."},
                "en": {"subject": f"{subject} (en)", "body": "Dear reader,\n\nThis is our news."},
            },
        },
    )
    assert answer.status_code == 202, answer.text
    campaign: dict[str, Any] = answer.json()
    return campaign


def wait_until_sent(gateway: httpx.Client, cli: Any, helpers: Any, campaign_id: str) -> None:
    """Until none of the campaign's emails waits any more (each sent, skipped or failed)."""
    headers = cli.operator_headers("ops-newsletters")

    def settled() -> bool:
        answer = gateway.get(f"/notifications/v1/admin/campaigns/{campaign_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["deliveries"]["pending"] == 0)

    helpers.eventually(settled, timeout=60)


def preferences(gateway: httpx.Client, headers: dict[str, str]) -> dict[str, Any]:
    answer = gateway.get("/identity/v1/me/preferences", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_news_reaches_the_opted_in_account_and_one_click_stops_it(
    gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, new_customer: Any, helpers: Any
) -> None:
    reader, other = new_customer(), new_customer()
    auth = helpers.log_in(gateway, reader.email, reader.password)
    chosen = gateway.put(
        "/identity/v1/me/preferences",
        headers=auth,
        json={"language": "nl", "offers": True, "news": True, "energy_saving_advice": False},
    )
    assert chosen.status_code == 200, chosen.text
    # Notifications learns the choice from PreferencesChanged before operations send anything.
    kafka.wait_until_handled(
        "identity.preferences-changed.v1", reader.account_id, "notifications.recipient-preferences"
    )

    subject = f"Nieuws {uuid.uuid4().hex[:8]}"
    campaign = send_campaign(gateway, cli, subject)
    assert campaign["queued"] >= 1  # the reader, and whoever opted in earlier in the session

    news = mail.wait_for(lambda m: reader.email in m.to and m.subject == subject, timeout=60)
    assert news.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = news.headers["List-Unsubscribe"].strip().removeprefix("<").removesuffix(">")
    assert url.startswith(f"{str(gateway.base_url).rstrip('/')}/notifications/v1/unsubscribe/")
    assert "Dit is ons nieuws." in (news.text or "")
    wait_until_sent(gateway, cli, helpers, campaign["id"])
    assert not [m for m in mail.list() if other.email in m.to and m.subject == subject]

    # What a mail client does for "unsubscribe" (RFC 8058): POST this form, without any log-in.
    with httpx.Client(timeout=10) as mail_client:
        looked = mail_client.get(url)  # a link scanner: changes nothing
        assert looked.status_code == 200 and looked.json()["subscribed"] is True
        clicked = mail_client.post(url, data={"List-Unsubscribe": "One-Click"})
        assert clicked.status_code == 200, clicked.text
        assert (clicked.json()["newsletter"], clicked.json()["subscribed"]) == ("news", False)
        assert mail_client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    # Identity owns the preferences: that newsletter goes off there, the others stay.
    helpers.eventually(lambda: preferences(gateway, auth)["news"] is False, timeout=30)
    now = preferences(gateway, auth)
    assert (now["language"], now["offers"], now["news"], now["energy_saving_advice"]) == (
        "nl",
        True,
        False,
        False,
    )
    [unsubscribed] = kafka.about("notifications.marketing-unsubscribed.v1", reader.account_id)
    assert unsubscribed["data"]["newsletter"] == "news"  # the second click announced nothing

    second = send_campaign(gateway, cli, f"{subject} (2)")
    wait_until_sent(gateway, cli, helpers, second["id"])
    assert not [m for m in mail.list() if reader.email in m.to and m.subject == f"{subject} (2)"]
