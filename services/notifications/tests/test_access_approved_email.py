"""PortalAccessApproved → the set-password link with its expiry, unless it already expired."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose, generate_key_pair
from portal_chassis.testing import Harness
from portal_schemas.identity import PortalAccessApproved

from .conftest import text_and_html

TOKEN = "inv1te-token_0123456789abcdefghijklmnopqrstuvwxyzABCDEF"  # link longer than 78 characters
# 3 December 2099 15:45 UTC is 16:45 in Amsterdam (CET, UTC+1).
EXPIRY = datetime(2099, 12, 3, 15, 45, tzinfo=UTC)


def approved(
    mail_secrets: MailSecretsEncrypter,
    *,
    language: str = "nl",
    expires_at: datetime = EXPIRY,
    request_id: str = "request-1",
) -> PortalAccessApproved:
    return PortalAccessApproved(
        request_id=request_id,
        account_id=f"account-{request_id}",
        email=f"{request_id}@example.nl",
        language=language,  # type: ignore[arg-type]
        sealed_token=mail_secrets.encrypt(TOKEN, SecretPurpose.INVITATION_TOKEN),
        expires_at=expires_at,
    )


def link() -> str:
    return f"https://portal.example.test/accept-invitation?token={TOKEN}"


async def test_an_approval_becomes_one_email_with_the_link(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    await service.deliver(approved(mail_secrets), subject="request-1", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.kind == "portal_access_approved" and delivery.status == "sent"
    assert delivery.send_before == EXPIRY
    assert TOKEN not in (delivery.sealed_text or "") + (delivery.sealed_html or "")
    assert message["To"] == "request-1@example.nl"
    assert message["Subject"] == "Je toegang tot het klantportaal staat klaar"
    text, html = text_and_html(message)
    [line] = [line for line in text.splitlines() if "accept-invitation" in line]
    assert line == link() and len(line) > 78
    assert parse_qs(urlsplit(line).query)["token"] == [TOKEN]
    assert f'href="{link()}"' in html
    assert "3 december 2099, 16:45" in text and "3 december 2099, 16:45" in html


async def test_each_language_is_its_own(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    for language in ("en", "fr", "de"):
        await service.deliver(
            approved(mail_secrets, language=language, request_id=f"r-{language}"),
            subject=language,
            producer="identity",
        )

    messages = await probe.received(mail, 3)
    subjects = {m["Content-Language"]: m["Subject"] for m in messages}
    assert subjects == {
        "en": "Your access to the customer portal is ready",
        "fr": "Votre accès au portail client est prêt",
        "de": "Ihr Zugang zum Kundenportal ist eingerichtet",
    }
    texts = {m["Content-Language"]: text_and_html(m)[0] for m in messages}
    assert "3 December 2099, 16:45" in texts["en"]
    assert "3 décembre 2099, 16:45" in texts["fr"]
    assert "3. Dezember 2099, 16:45" in texts["de"]
    for text in texts.values():
        assert link() in text.splitlines()


async def test_the_same_event_twice_sends_once(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    envelope = await service.deliver(approved(mail_secrets), subject="request-1", producer="identity")
    await probe.received(mail, 1)

    await service.redeliver(envelope, PortalAccessApproved.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_an_expired_approval_sends_nothing_and_says_why(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    expired = datetime.now(UTC) - timedelta(minutes=1)
    await service.deliver(
        approved(mail_secrets, expires_at=expired), subject="request-1", producer="identity"
    )
    await probe.eventually(lambda: _count(probe, 1))
    await sender.send_due()

    delivery = await probe.delivery()
    assert delivery.status == "skipped" and delivery.skip_reason == "expired-before-sending"
    assert delivery.sealed_text is None
    assert mail.messages == []


async def test_a_token_sealed_with_another_key_is_refused(service: Harness, probe, mail, sender) -> None:
    stranger = MailSecretsEncrypter(generate_key_pair()[1])
    await service.deliver(approved(stranger), subject="request-1", producer="identity")
    await sender.send_due()

    assert await probe.deliveries() == []  # rolled back; the event went to the dead letters
    assert mail.messages == []


async def _count(probe, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await probe.deliveries()) == n
