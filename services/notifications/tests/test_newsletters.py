"""Newsletters: a campaign reaches the accounts opted in to its topic and nobody else, in their
language or Dutch, each copy with a one-click unsubscribe (RFC 8058) that works once, cannot be
forged and changes nothing when merely looked at."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes, policy
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr, ValidationError
from sqlalchemy import func, select

from notifications.db.repositories import Recipients
from notifications.db.tables import Campaign, Delivery, Recipient
from notifications.delivery.message import Outgoing, build_message
from notifications.domain.newsletters import paragraphs, recipient_event_id
from notifications.domain.unsubscribe import derive_key, read_unsubscribe_token, unsubscribe_token
from notifications.settings import NotificationsSettings
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas.contracts import CustomerDetailsChanged
from portal_schemas.identity import PreferencesChanged
from portal_schemas.notifications import MarketingUnsubscribed

from .conftest import MailSink, Probe, text_and_html

NL = {
    "subject": "Nieuws van je energieleverancier",
    "body": "Eerste alinea\nmet twee regels.\n\nTweede <b>alinea</b>.",
}
EN = {"subject": "News from your energy supplier", "body": "First paragraph.\n\n\nSecond paragraph."}


@pytest.fixture
def operator(tokens: TokenFactory) -> dict[str, str]:
    return tokens.operator_headers("ops-marketing")


async def account(
    service: Harness,
    probe: Probe,
    number: str,
    *,
    language: str = "nl",
    news: bool | None = None,
    offers: bool = False,
    email: str = "",
) -> str:
    """An activated account; with its preferences when ``news`` is not None (None: it never
    said what it wants)."""
    account_id = f"account-{number}"
    await probe.register(
        customer_number=number,
        email=email or f"klant{number}@example.nl",
        language=language,
        account_id=account_id,
    )
    if news is not None:
        await service.deliver(
            PreferencesChanged(
                account_id=account_id,
                language=language,  # type: ignore[arg-type]
                offers=offers,
                news=news,
                energy_saving_advice=False,
            ),
            subject=account_id,
            producer="identity",
        )
    return account_id


async def send(service: Harness, operator: dict[str, str], **content: dict[str, str]) -> dict[str, Any]:
    answer = await service.client.post(
        "/v1/admin/campaigns", headers=operator, json={"newsletter": "news", "content": content or {"nl": NL}}
    )
    assert answer.status_code == 202, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def recipient(service: Harness, account_id: str) -> Recipient:
    async with service.runtime.sessions() as session:
        found = await Recipients(session).for_account(account_id)
    assert found is not None
    return found


def token_of(delivery: Delivery) -> str:
    """The token of the copy's List-Unsubscribe address, as the service is reached directly."""
    assert delivery.list_unsubscribe is not None
    path = urlsplit(delivery.list_unsubscribe).path
    prefix = "/notifications/v1/unsubscribe/"
    assert path.startswith(prefix)
    return path.removeprefix(prefix)


async def test_a_campaign_reaches_the_opted_in_accounts_only_in_their_language(
    service: Harness, probe: Probe, mail: MailSink, operator: dict[str, str], sealer: Sealer
) -> None:
    english = await account(service, probe, "100000001", language="en", news=True)
    german = await account(service, probe, "100000002", language="de", news=True)
    await account(service, probe, "100000003", news=False, offers=True)  # other newsletters only
    await account(service, probe, "100000004")  # never answered: not a yes
    await service.deliver(
        CustomerDetailsChanged(
            customer_number="100000002",
            payment_method="direct_debit",
            sealed_name=sealer.seal("Anna Schmidt"),
        ),
        subject="100000002",
        producer="contracts",
    )

    queued = await send(service, operator, nl=NL, en=EN)

    assert (queued["newsletter"], queued["queued"]) == ("news", 2)
    received = {str(m["To"]): m for m in await probe.received(mail, 2)}
    assert set(received) == {"klant100000001@example.nl", "klant100000002@example.nl"}
    in_english = received["klant100000001@example.nl"]
    assert (in_english["Subject"], in_english["Content-Language"]) == (EN["subject"], "en")
    in_dutch = received["klant100000002@example.nl"]  # no German text: the Dutch one
    assert (in_dutch["Subject"], in_dutch["Content-Language"]) == (NL["subject"], "nl")
    text, html = (part.replace("\r\n", "\n") for part in text_and_html(in_dutch))
    assert "Eerste alinea\nmet twee regels.\n\nTweede <b>alinea</b>." in text
    assert "Tweede &lt;b&gt;alinea&lt;/b&gt;." in html and "<b>" not in html
    assert text.startswith("Beste Anna Schmidt,")  # greeted in the language of the text
    for message in received.values():
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = message["List-Unsubscribe"].strip("<>")
        assert url.startswith("https://portal.example.test/notifications/v1/unsubscribe/")
        assert "https://portal.example.test/unsubscribe?token=" in text_and_html(message)[0]
    deliveries = {d.account_id: d for d in await probe.deliveries()}
    assert deliveries[english].event_id == recipient_event_id(queued["id"], english)
    assert deliveries[german].campaign_id == queued["id"]

    report = await service.client.get(f"/v1/admin/campaigns/{queued['id']}", headers=operator)
    assert report.status_code == 200
    assert report.json() | {"created_at": None} == {
        "id": queued["id"],
        "newsletter": "news",
        "created_by": "ops-marketing",
        "created_at": None,
        "recipients": 2,
        "deliveries": {"pending": 0, "sent": 2, "skipped": 0, "failed": 0},
    }


async def test_the_campaign_text_is_kept_sealed(
    service: Harness, probe: Probe, operator: dict[str, str], sealer: Sealer
) -> None:
    await account(service, probe, "100000001", news=True)
    queued = await send(service, operator, nl=NL)
    async with service.runtime.sessions() as session:
        campaign = await session.get(Campaign, queued["id"])
    assert campaign is not None and campaign.created_by == "ops-marketing"
    assert "energieleverancier" not in campaign.sealed_content
    assert "energieleverancier" in sealer.open(campaign.sealed_content)


async def test_one_address_gets_one_copy(service: Harness, probe: Probe, operator: dict[str, str]) -> None:
    await account(service, probe, "100000001", news=True, email="gedeeld@example.nl")
    await account(service, probe, "100000002", news=True, email="Gedeeld@example.nl")
    assert (await send(service, operator))["queued"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"newsletter": "news", "content": {"en": EN}},  # no Dutch text
        {"newsletter": "news", "content": {"nl": NL, "es": EN}},
        {"newsletter": "weather", "content": {"nl": NL}},
        {"newsletter": "news", "content": {"nl": {**NL, "subject": "two\nlines"}}},
        {"newsletter": "news", "content": {"nl": {**NL, "subject": "x" * 151}}},
        {"newsletter": "news", "content": {"nl": {**NL, "subject": "   "}}},
        {"newsletter": "news", "content": {"nl": {**NL, "body": ""}}},
        {"newsletter": "news", "content": {"nl": {**NL, "body": "\n\n  \n"}}},
        {"newsletter": "news", "content": {"nl": {**NL, "body": "x" * 20_001}}},
        {"newsletter": "news", "content": {"nl": {**NL, "body": "bell \x07"}}},
        {"newsletter": "news", "content": {"nl": {**NL, "html": "<p>"}}},
        {"newsletter": "news"},
    ],
)
async def test_a_bad_campaign_is_refused_and_queues_nothing(
    service: Harness, probe: Probe, operator: dict[str, str], body: dict[str, Any]
) -> None:
    await account(service, probe, "100000001", news=True)
    answer = await service.client.post("/v1/admin/campaigns", headers=operator, json=body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"].startswith(("newsletter", "content"))
    assert await probe.deliveries() == []
    async with service.runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Campaign)) == 0


async def test_campaigns_are_for_operations_only(service: Harness, tokens: TokenFactory) -> None:
    body = {"newsletter": "news", "content": {"nl": NL}}
    assert (await service.client.post("/v1/admin/campaigns", json=body)).status_code == 401
    customer = tokens.headers("100000001")
    assert (await service.client.post("/v1/admin/campaigns", headers=customer, json=body)).status_code == 401
    unknown = await service.client.get(f"/v1/admin/campaigns/{'0' * 36}", headers=tokens.operator_headers())
    assert (unknown.status_code, unknown.json()["type"]) == (404, "/problems/campaign-not-found")


async def test_one_click_unsubscribes_once_and_tells_identity(
    service: Harness, probe: Probe, operator: dict[str, str]
) -> None:
    account_id = await account(service, probe, "100000001", news=True, offers=True)
    await send(service, operator)
    token = token_of(await probe.delivery())

    # As a mail client does it (RFC 8058): a form body, no log-in.
    form = {"content-type": "application/x-www-form-urlencoded"}
    first = await service.client.post(
        f"/v1/unsubscribe/{token}", content="List-Unsubscribe=One-Click", headers=form
    )
    assert first.status_code == 200, first.text
    assert first.json()["newsletter"] == "news" and first.json()["subscribed"] is False
    known = await recipient(service, account_id)
    assert (known.news, known.offers) == (False, True)  # only that newsletter
    [event] = await service.outbox("MarketingUnsubscribed")
    data = MarketingUnsubscribed.model_validate(event.data)
    assert (event.subject, data.account_id, data.newsletter) == (account_id, account_id, "news")
    assert known.preferences_updated_at == data.unsubscribed_at

    again = await service.client.post(f"/v1/unsubscribe/{token}")  # and an empty body is fine too
    assert again.status_code == 200 and again.json()["subscribed"] is False
    assert len(await service.outbox("MarketingUnsubscribed")) == 1

    # The next campaign of that newsletter does not reach the account.
    assert (await send(service, operator))["queued"] == 0


async def test_looking_at_the_link_changes_nothing(
    service: Harness, probe: Probe, operator: dict[str, str]
) -> None:
    account_id = await account(service, probe, "100000001", news=True)
    await send(service, operator)
    token = token_of(await probe.delivery())

    looked = await service.client.get(f"/v1/unsubscribe/{token}")

    assert looked.status_code == 200
    assert looked.json()["newsletter"] == "news" and looked.json()["subscribed"] is True
    assert (await recipient(service, account_id)).news is True
    assert await service.outbox("MarketingUnsubscribed") == []


async def test_a_made_up_or_altered_link_is_not_found(
    service: Harness, probe: Probe, operator: dict[str, str], settings: NotificationsSettings
) -> None:
    victim = await account(service, probe, "100000001", news=True)
    await account(service, probe, "100000002", news=True)
    await send(service, operator)
    mine = token_of(next(d for d in await probe.deliveries() if d.account_id == "account-100000002"))
    payload, signature = mine.split(".")
    forged_payload = unsubscribe_token(b"k" * 32, victim, "news").split(".")[0]
    other_key = unsubscribe_token(derive_key("not the service's secret"), victim, "news")
    for token in (
        f"{forged_payload}.{signature}",  # someone else's account under my signature
        other_key,
        f"{payload}.{signature[:-2]}",
        f"{payload}.{signature}x",
        "not-a-token",
        f"{payload}..{signature}",
    ):
        for method in ("GET", "POST"):
            answer = await service.client.request(method, f"/v1/unsubscribe/{token}")
            assert answer.status_code == 404, (token, method)
            assert answer.json()["type"] == "/problems/unsubscribe-link-unknown"
    too_long = await service.client.post(f"/v1/unsubscribe/{'a' * 150}.{'b' * 100}")
    assert too_long.status_code == 422
    assert (await recipient(service, victim)).news is True
    assert await service.outbox("MarketingUnsubscribed") == []


def test_tokens_name_the_account_and_newsletter() -> None:
    key = derive_key("a secret")
    token = unsubscribe_token(key, "3f1c1c2e-0000-4000-8000-000000000001", "energy_saving_advice")
    found = read_unsubscribe_token(key, token)
    assert found is not None
    assert (found.account_id, found.newsletter) == (
        "3f1c1c2e-0000-4000-8000-000000000001",
        "energy_saving_advice",
    )
    assert token == unsubscribe_token(key, "3f1c1c2e-0000-4000-8000-000000000001", "energy_saving_advice")
    assert len(token) <= 120
    assert read_unsubscribe_token(derive_key("another secret"), token) is None
    assert read_unsubscribe_token(key, unsubscribe_token(key, "acc", "offers")[:-1]) is None


def test_the_unsubscribe_key_is_the_configured_secret_else_derived_from_notifications_own_key(
    settings: NotificationsSettings, mail_key_pair: tuple[str, str]
) -> None:
    derived = settings.unsubscribe_key
    private = json.loads(mail_key_pair[0])
    assert derived == derive_key(private["d"])
    assert derived != derive_key(settings.event_sealing_key.get_secret_value())  # every service has that
    # The same key written in another member order gives the same links.
    reordered = json.dumps(dict(reversed(list(private.items()))), indent=2)
    assert (
        settings.model_copy(update={"mail_secrets_private_key": SecretStr(reordered)}).unsubscribe_key
        == derived
    )
    own = settings.model_copy(update={"unsubscribe_secret": SecretStr("x" * 40)})
    assert own.unsubscribe_key == derive_key("x" * 40)
    with pytest.raises(ValidationError):  # a short secret would make links guessable
        NotificationsSettings(
            event_sealing_key=Sealer.new_key(),
            mail_secrets_private_key=mail_key_pair[0],
            unsubscribe_secret="too short",
        )
    assert settings.api_url == "https://portal.example.test"
    assert settings.model_copy(update={"public_api_url": "https://api.example.test/"}).api_url == (
        "https://api.example.test"
    )


def test_paragraphs_split_on_blank_lines() -> None:
    body = "  Hallo\r\nwereld  \r\n \r\nTweede\n\t\n\n\nDerde\n"
    assert paragraphs(body) == ["Hallo\nwereld", "Tweede", "Derde"]


def test_the_message_carries_the_one_click_headers() -> None:
    outgoing = Outgoing(
        delivery_id="3f1c1c2e-0000-4000-8000-000000000001",
        sender="Energy portal <no-reply@portal.invalid>",
        recipient="klant@example.nl",
        subject="Nieuws",
        language="nl",
        text="Hallo",
        html="<p>Hallo</p>",
        composed_at=dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC),
        list_unsubscribe="https://portal.example.test/notifications/v1/unsubscribe/" + "a" * 120,
    )
    parsed = message_from_bytes(build_message(outgoing).as_bytes(), policy=policy.default)
    assert parsed["List-Unsubscribe"] == f"<{outgoing.list_unsubscribe}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    service_mail = build_message(
        Outgoing(**{**outgoing.__dict__, "list_unsubscribe": None})  # every other email
    )
    assert "List-Unsubscribe" not in service_mail and "List-Unsubscribe-Post" not in service_mail
