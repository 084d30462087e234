"""PasswordChanged → one "your password was changed" email, through a real (in-process) SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordChanged

FORGOT_PASSWORD = "https://portal.example.test/forgot-password"
# 29 March 2099, Amsterdam's spring change: 01:30 UTC is 03:30 CEST (UTC+2), not 02:30.
SPRING_CHANGE = datetime(2099, 3, 29, 1, 30, tzinfo=UTC)
# 25 October 2099, the autumn change: 02:30 UTC is 03:30 CET (UTC+1), not 04:30.
AUTUMN_CHANGE = datetime(2099, 10, 25, 2, 30, tzinfo=UTC)


def password_changed(
    *,
    language: str = "de",
    changed_at: datetime = SPRING_CHANGE,
    reason: str = "settings",
    account_id: str = "account-1",
) -> PasswordChanged:
    return PasswordChanged(
        account_id=account_id,
        email="kunde@example.de",
        language=language,  # type: ignore[arg-type]
        changed_at=changed_at,
        reason=reason,  # type: ignore[arg-type]
    )


async def test_a_change_becomes_one_email_in_the_owners_language(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="kunde@example.de", account_id="account-1")
    await service.deliver(password_changed(), subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.status == "sent" and delivery.attempts == 1
    assert delivery.kind == "password_changed"
    assert delivery.customer_number == "100200300"
    assert message["To"] == "kunde@example.de"
    assert message["Content-Language"] == "de"
    assert message["Subject"] == "Das Passwort Ihres Kontos im Kundenportal wurde geändert"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()

    # Amsterdam's clock on the day it changes: 03:30 CEST, neither UTC nor winter time.
    assert "29. März 2099, 03:30" in text
    assert "29. März 2099, 03:30" in html
    assert "02:30" not in text and "01:30" not in text
    assert "Einstellungen Ihres Kontos" in text and "Einstellungen Ihres Kontos" in html
    # If it was not them: a new password at once (link alone on its line) and customer service.
    assert FORGOT_PASSWORD in text.splitlines()
    assert f'href="{FORGOT_PASSWORD}"' in html
    assert "Kundenservice" in text and "Kundenservice" in html
    assert '<html lang="de">' in html


async def test_each_language_and_reason_is_its_own(service: Harness, probe, mail) -> None:
    sent = {"nl": "reset", "en": "legacy_migration", "fr": "reset"}
    for language, reason in sent.items():
        event = password_changed(
            language=language, changed_at=AUTUMN_CHANGE, reason=reason, account_id=f"a-{language}"
        )
        await service.deliver(event, subject=event.account_id, producer="identity")

    messages = await probe.received(mail, 3)
    subjects = {m["Content-Language"]: m["Subject"] for m in messages}
    assert subjects == {
        "nl": "Het wachtwoord van je account op het klantportaal is gewijzigd",
        "en": "The password of your customer portal account has been changed",
        "fr": "Le mot de passe de votre compte sur le portail client a été modifié",
    }
    texts = {m["Content-Language"]: m.get_body(("plain",)).get_content() for m in messages}
    assert "25 oktober 2099, 03:30" in texts["nl"]
    assert "25 October 2099, 03:30" in texts["en"]
    assert "25 octobre 2099, 03:30" in texts["fr"]
    assert "Wachtwoord vergeten" in texts["nl"] and "klantenservice" in texts["nl"]
    assert "new portal" in texts["en"] and "customer service" in texts["en"]
    assert "Mot de passe oublié" in texts["fr"] and "service client" in texts["fr"]
    for text in texts.values():
        assert FORGOT_PASSWORD in text.splitlines()


async def test_the_same_event_twice_sends_once(service: Harness, probe, mail, sender) -> None:
    envelope = await service.deliver(password_changed(), subject="account-1", producer="identity")
    await probe.received(mail, 1)

    await service.redeliver(envelope, PasswordChanged.topic())
    await sender.send_due()  # whatever is due goes now, not after the next poll

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_a_late_arrival_is_still_sent_without_an_account_on_file(service: Harness, probe, mail) -> None:
    # Unlike a lock or a reset link, the warning stays true: a week-old change still gets told.
    long_ago = datetime.now(UTC) - timedelta(days=7)
    await service.deliver(password_changed(changed_at=long_ago), subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.status == "sent"
    assert delivery.customer_number is None  # no AccountActivated seen: the email goes anyway
    assert message["To"] == "kunde@example.de"
