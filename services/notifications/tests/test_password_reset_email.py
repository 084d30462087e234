"""PasswordResetRequested → exactly one reset email, through a real (in-process) SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose, generate_key_pair
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordResetRequested

TOKEN = "Zt3v0Qp-very_random-token_value-0123456789ab"
# 1 July 2099 10:00 UTC is 12:00 in Amsterdam (CEST, UTC+2).
FAR_EXPIRY = datetime(2099, 7, 1, 10, 0, tzinfo=UTC)


def reset_requested(
    mail_secrets: MailSecretsEncrypter, *, language: str = "de", expires_at: datetime = FAR_EXPIRY
) -> PasswordResetRequested:
    return PasswordResetRequested(
        account_id="account-1",
        email="kunde@example.de",
        language=language,  # type: ignore[arg-type]
        sealed_token=mail_secrets.encrypt(TOKEN, SecretPurpose.PASSWORD_RESET_TOKEN),
        expires_at=expires_at,
    )


def link_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "reset-password?token=" in line]


async def test_reset_request_becomes_one_email_with_a_working_link(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    await service.deliver(reset_requested(mail_secrets), subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.status == "sent" and delivery.attempts == 1
    assert message["To"] == "kunde@example.de"
    assert message["From"] == "Energy portal <no-reply@portal.invalid>"
    assert message["Message-ID"] == f"<{delivery.id}@portal.invalid>"
    assert message["Content-Language"] == "de"
    assert message["Subject"] == "Neues Passwort für das Kundenportal festlegen"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()

    # The link stands alone on its line, unbroken, and carries exactly the sealed token.
    [line] = link_lines(text)
    expected = f"https://portal.example.test/reset-password?token={TOKEN}"
    assert line == expected
    assert parse_qs(urlsplit(line).query)["token"] == [TOKEN]
    assert f'href="{expected}"' in html
    assert "1. Juli 2099, 12:00" in text  # local time, not UTC
    assert '<html lang="de">' in html
    # Stored sealed: the live token is nowhere in the database in clear.
    assert TOKEN not in (delivery.sealed_text or "") + (delivery.sealed_html or "")


async def test_each_language_is_its_own(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    for language in ("nl", "en", "fr"):
        await service.deliver(
            reset_requested(mail_secrets, language=language), subject="account-1", producer="identity"
        )
    messages = await probe.received(mail, 3)
    subjects = {m["Content-Language"]: m["Subject"] for m in messages}
    assert subjects == {
        "nl": "Kies een nieuw wachtwoord voor het klantportaal",
        "en": "Choose a new password for the customer portal",
        "fr": "Choisissez un nouveau mot de passe pour le portail client",
    }
    texts = {m["Content-Language"]: m.get_body(("plain",)).get_content() for m in messages}
    assert "1 juli 2099, 12:00" in texts["nl"]
    assert "1 July 2099, 12:00" in texts["en"]
    assert "1 juillet 2099, 12:00" in texts["fr"]


async def test_the_same_event_twice_sends_once(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    envelope = await service.deliver(reset_requested(mail_secrets), subject="account-1", producer="identity")
    await probe.received(mail, 1)

    await service.redeliver(envelope, PasswordResetRequested.topic())
    await sender.send_due()  # whatever is due goes now, not after the next poll

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_an_expired_token_sends_nothing_and_says_why(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    expired = datetime.now(UTC) - timedelta(minutes=1)
    await service.deliver(
        reset_requested(mail_secrets, expires_at=expired), subject="account-1", producer="identity"
    )
    await sender.send_due()

    delivery = await probe.delivery()
    assert delivery.status == "skipped"
    assert delivery.skip_reason == "expired-before-sending"
    assert delivery.sealed_text is None
    assert mail.messages == []


async def test_a_token_sealed_with_another_key_is_refused(service: Harness, probe, mail, sender) -> None:
    stranger = MailSecretsEncrypter(generate_key_pair()[1])
    await service.deliver(reset_requested(stranger), subject="account-1", producer="identity")
    await sender.send_due()

    assert await probe.deliveries() == []  # rolled back; the event went to the dead letters
    assert mail.messages == []


async def test_the_apps_code_is_shown_on_its_own_line_when_the_event_has_one(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    event = reset_requested(mail_secrets).model_copy(
        update={
            "sealed_code": mail_secrets.encrypt("042917", SecretPurpose.PASSWORD_RESET_CODE),
            # 1 July 2099 10:15 UTC is 12:15 in Berlin/Amsterdam summer time
            "code_expires_at": datetime(2099, 7, 1, 10, 15, tzinfo=UTC),
        }
    )
    await service.deliver(event, subject="account-1", producer="identity")
    [message] = await probe.received(mail, 1)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "042917" in text.splitlines()  # alone on its line, leading zero kept
    assert "042917" in html
    assert "1. Juli 2099, 12:15" in text
    delivery = await probe.delivery()
    assert "042917" not in (delivery.sealed_text or "") + (delivery.sealed_html or "")


async def test_without_a_code_the_email_shows_only_the_link(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    await service.deliver(reset_requested(mail_secrets), subject="account-1", producer="identity")
    [message] = await probe.received(mail, 1)
    text = message.get_body(("plain",)).get_content()
    assert "Code" not in text
