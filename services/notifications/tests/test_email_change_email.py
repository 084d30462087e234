"""EmailChangeRequested → a confirmation (link and 6-digit code) to the new address and a notice
to the old one, through a real (in-process) SMTP server; a newer request of the account
replaces an older unsent confirmation, as with activation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest

from notifications.domain.addresses import mask_email
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose, generate_key_pair
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.identity import EmailChangeRequested

from .conftest import text_and_html

TOKEN = "eMa1l-change_token-0123456789abcdefghijklmnopqrstuvwXYZ"  # link longer than 78 characters
CODE = "093517"
# 1 July 2099 10:00 UTC is 12:00 in Amsterdam (CEST, UTC+2).
FAR_EXPIRY = datetime(2099, 7, 1, 10, 0, tzinfo=UTC)
# 15 January 2026 08:05 UTC is 09:05 in Amsterdam (CET, UTC+1).
ASKED_AT = datetime(2026, 1, 15, 8, 5, tzinfo=UTC)
TOPIC = EmailChangeRequested.topic()
FORGOT_PASSWORD = "https://portal.example.test/forgot-password"
OLD = "jan.jansen@example.nl"
NEW = "jansen.thuis@voorbeeld.nl"


def change_requested(
    mail_secrets: MailSecretsEncrypter,
    *,
    language: str = "nl",
    token: str = TOKEN,
    code: str = CODE,
    expires_at: datetime = FAR_EXPIRY,
    account_id: str = "account-7",
    new_email: str = NEW,
) -> EmailChangeRequested:
    return EmailChangeRequested(
        account_id=account_id,
        old_email=OLD,
        new_email=new_email,
        language=language,  # type: ignore[arg-type]
        sealed_token=mail_secrets.encrypt(token, SecretPurpose.EMAIL_CHANGE_TOKEN),
        sealed_code=mail_secrets.encrypt(code, SecretPurpose.EMAIL_CHANGE_CODE),
        expires_at=expires_at,
    )


def link(token: str = TOKEN) -> str:
    return f"https://portal.example.test/confirm-email?token={token}"


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["To"]): m for m in messages}


async def publish(service: Harness, data: EmailChangeRequested, occurred_at: datetime) -> Envelope:
    envelope = Envelope.wrap(data, subject=data.account_id, producer="identity", occurred_at=occurred_at)
    await service.redeliver(envelope, TOPIC)  # publishes the envelope as it is
    return envelope


def test_the_topic_is_identitys() -> None:
    assert TOPIC == "identity.email-change-requested.v1"


@pytest.mark.parametrize(
    ("address", "masked"),
    [("j@example.nl", "j***@example.nl"), ("jan.jansen@sub.example.nl", "j***@sub.example.nl")],
)
def test_an_address_is_shown_masked(address: str, masked: str) -> None:
    assert mask_email(address) == masked


async def test_a_request_mails_the_new_and_the_old_address(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    await probe.register(customer_number="100200300", email=OLD, account_id="account-7")
    await publish(service, change_requested(mail_secrets), ASKED_AT)

    messages = by_recipient(await probe.received(mail, 2))
    assert set(messages) == {NEW, OLD}
    kinds = {d.recipient: d for d in await probe.deliveries()}
    assert kinds[NEW].kind == "email_change_confirmation" and kinds[OLD].kind == "email_change_notice"
    assert {d.customer_number for d in kinds.values()} == {"100200300"}

    confirmation = messages[NEW]
    assert confirmation["Content-Language"] == "nl"
    assert confirmation["Subject"] == "Bevestig je nieuwe e-mailadres voor het klantportaal"
    text, html = text_and_html(confirmation)
    [line] = [line for line in text.splitlines() if "confirm-email?token=" in line]
    assert line == link() and len(line) > 78  # alone on its line, never wrapped
    assert parse_qs(urlsplit(line).query)["token"] == [TOKEN]
    assert CODE in text.splitlines()  # leading zero kept
    assert "1 juli 2099, 12:00" in text and "1 juli 2099, 12:00" in html  # Amsterdam time
    assert f'href="{link()}"' in html and f">{CODE}</p>" in html
    stored = (kinds[NEW].sealed_text or "") + (kinds[NEW].sealed_html or "")
    assert TOKEN not in stored and CODE not in stored

    notice = messages[OLD]
    assert notice["Subject"] == "Er is gevraagd het e-mailadres van je klantportaalaccount te wijzigen"
    text, html = text_and_html(notice)
    assert "j***@voorbeeld.nl" in text and "j***@voorbeeld.nl" in html
    assert NEW not in text and NEW not in html  # the new address only masked
    assert TOKEN not in text + html and CODE not in text.splitlines()  # no way to confirm from here
    assert "15 januari 2026, 09:05" in text
    assert FORGOT_PASSWORD in text.splitlines() and f'href="{FORGOT_PASSWORD}"' in html
    assert "klantenservice" in text


async def test_each_language_is_its_own(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    for n, language in enumerate(("en", "fr", "de")):
        data = change_requested(
            mail_secrets,
            language=language,
            account_id=f"account-{language}",
            new_email=f"{language}@example.org",
        )
        await publish(service, data, ASKED_AT + timedelta(seconds=n))
    received = await probe.received(mail, 6)
    messages = by_recipient(received)
    confirmations = {language: messages[f"{language}@example.org"] for language in ("en", "fr", "de")}
    assert {language: m["Subject"] for language, m in confirmations.items()} == {
        "en": "Confirm your new email address for the customer portal",
        "fr": "Confirmez votre nouvelle adresse e-mail pour le portail client",
        "de": "Bestätigen Sie Ihre neue E-Mail-Adresse für das Kundenportal",
    }
    texts = {language: text_and_html(m)[0] for language, m in confirmations.items()}
    assert "1 July 2099, 12:00" in texts["en"]
    assert "1 juillet 2099, 12:00" in texts["fr"]
    assert "1. Juli 2099, 12:00" in texts["de"]
    for text in texts.values():
        assert link() in text.splitlines() and CODE in text.splitlines()

    notices = [m for m in received if m["To"] == OLD]
    assert len(notices) == 3
    notice_texts = {str(m["Content-Language"]): text_and_html(m)[0] for m in notices}
    assert "e***@example.org" in notice_texts["en"] and "Forgot password" in notice_texts["en"]
    assert "f***@example.org" in notice_texts["fr"] and "Mot de passe oublié" in notice_texts["fr"]
    assert "d***@example.org" in notice_texts["de"] and "Passwort vergessen" in notice_texts["de"]


async def test_the_same_event_twice_sends_nothing_new(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    envelope = await publish(service, change_requested(mail_secrets), ASKED_AT)
    await probe.received(mail, 2)

    await service.redeliver(envelope, TOPIC)
    await sender.send_due()

    assert len(mail.messages) == 2
    assert [d.status for d in await probe.deliveries()] == ["sent", "sent"]


async def test_an_expired_request_sends_only_the_notice(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    # A dead link helps nobody; that someone asked is still worth telling the owner.
    expired = datetime.now(UTC) - timedelta(minutes=1)
    await publish(service, change_requested(mail_secrets, expires_at=expired), ASKED_AT)

    [message] = await probe.received(mail, 1)
    assert message["To"] == OLD
    by_kind = {d.kind: d for d in await probe.deliveries()}
    assert by_kind["email_change_confirmation"].status == "skipped"
    assert by_kind["email_change_confirmation"].skip_reason == "expired-before-sending"
    assert by_kind["email_change_confirmation"].sealed_text is None


async def test_a_newer_request_supersedes_the_older_unsent_confirmation(
    service: Harness, probe, mail_down, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    # The relay is down, so the first confirmation is still waiting when the second request comes.
    now = datetime.now(UTC)
    first = await publish(service, change_requested(mail_secrets, token="old-token-" + "a" * 40), now)
    await probe.eventually(lambda: _count(probe, 2))
    second = await publish(service, change_requested(mail_secrets, code="771204"), now + timedelta(minutes=2))
    await probe.eventually(lambda: _count(probe, 4))

    mail_down.start()
    messages = await probe.received(mail_down, 3)
    await sender.send_due()
    assert len(mail_down.messages) == 3  # one confirmation, both notices
    [confirmation] = [m for m in messages if m["To"] == NEW]
    text, _ = text_and_html(confirmation)
    assert link() in text.splitlines() and "771204" in text.splitlines()

    confirmations = {d.event_id: d for d in await probe.deliveries() if d.kind == "email_change_confirmation"}
    assert confirmations[str(first.event_id)].status == "skipped"
    assert confirmations[str(first.event_id)].skip_reason == "superseded-by-newer-request"
    assert confirmations[str(second.event_id)].status == "sent"


async def test_an_older_request_arriving_late_sends_no_confirmation(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    now = datetime.now(UTC)
    await publish(service, change_requested(mail_secrets), now)
    await probe.received(mail, 2)
    older = await publish(
        service, change_requested(mail_secrets, token="old-token-" + "b" * 40), now - timedelta(minutes=5)
    )
    await probe.eventually(lambda: _count(probe, 4))
    await sender.send_due()

    assert [m["To"] for m in mail.messages].count(NEW) == 1
    late = {d.kind: d for d in await probe.deliveries() if d.event_id == str(older.event_id)}
    assert late["email_change_confirmation"].skip_reason == "superseded-by-newer-request"


async def test_a_token_sealed_with_another_key_is_refused(service: Harness, probe, mail, sender) -> None:
    stranger = MailSecretsEncrypter(generate_key_pair()[1])
    await publish(service, change_requested(stranger), ASKED_AT)
    await sender.send_due()

    assert await probe.deliveries() == []  # rolled back, notice too; the event went to the dead letters
    assert mail.messages == []


async def test_a_code_that_is_not_six_digits_is_refused(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    await publish(service, change_requested(mail_secrets, code="12345"), ASKED_AT)
    await sender.send_due()

    assert await probe.deliveries() == []
    assert mail.messages == []


async def _count(probe, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await probe.deliveries()) == n
