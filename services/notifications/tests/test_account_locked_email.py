"""AccountLocked → one "your account is locked" email, through a real (in-process) SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal_chassis.testing import Harness
from portal_schemas.identity import AccountLocked

FORGOT_PASSWORD = "https://portal.example.test/forgot-password"
# 29 March 2099 is the spring daylight-saving change in Amsterdam: the clocks jump from 02:00
# to 03:00 at 01:00 UTC, so 01:30 UTC is 03:30 CEST (UTC+2), not 02:30 as UTC+1 would give.
SPRING_CHANGE = datetime(2099, 3, 29, 1, 30, tzinfo=UTC)
# 25 October 2099 is the autumn change: back from 03:00 to 02:00 at 01:00 UTC, so 02:30 UTC
# is 03:30 CET (UTC+1), not 04:30 as the morning's UTC+2 would give.
AUTUMN_CHANGE = datetime(2099, 10, 25, 2, 30, tzinfo=UTC)


def account_locked(
    *, language: str = "de", locked_until: datetime = SPRING_CHANGE, account_id: str = "account-1"
) -> AccountLocked:
    return AccountLocked(
        account_id=account_id,
        email="kunde@example.de",
        language=language,  # type: ignore[arg-type]
        locked_until=locked_until,
        failed_attempts=3,
    )


async def test_a_lock_becomes_one_email_in_the_owners_language(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="kunde@example.de", account_id="account-1")
    await service.deliver(account_locked(), subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.status == "sent" and delivery.attempts == 1
    assert delivery.kind == "account_locked"
    assert delivery.customer_number == "100200300"
    assert message["To"] == "kunde@example.de"
    assert message["Content-Language"] == "de"
    assert message["Subject"] == "Ihr Konto im Kundenportal ist vorübergehend gesperrt"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()

    # Amsterdam's clock on the day it changes: 03:30 CEST, neither UTC nor winter time.
    assert "29. März 2099, 03:30" in text
    assert "29. März 2099, 03:30" in html
    assert "02:30" not in text and "01:30" not in text
    # The way out: "forgot password", the link alone on its line and behind the button.
    assert FORGOT_PASSWORD in text.splitlines()
    assert f'href="{FORGOT_PASSWORD}"' in html
    assert "Passwort vergessen" in text
    assert '<html lang="de">' in html


async def test_each_language_is_its_own(service: Harness, probe, mail) -> None:
    for language in ("nl", "en", "fr"):
        event = account_locked(language=language, locked_until=AUTUMN_CHANGE, account_id=f"a-{language}")
        await service.deliver(event, subject=event.account_id, producer="identity")

    messages = await probe.received(mail, 3)
    subjects = {m["Content-Language"]: m["Subject"] for m in messages}
    assert subjects == {
        "nl": "Je account op het klantportaal is tijdelijk geblokkeerd",
        "en": "Your customer portal account is temporarily locked",
        "fr": "Votre compte sur le portail client est temporairement bloqué",
    }
    texts = {m["Content-Language"]: m.get_body(("plain",)).get_content() for m in messages}
    assert "25 oktober 2099, 03:30" in texts["nl"]
    assert "25 October 2099, 03:30" in texts["en"]
    assert "25 octobre 2099, 03:30" in texts["fr"]
    for text in texts.values():
        assert FORGOT_PASSWORD in text.splitlines()


async def test_the_same_event_twice_sends_once(service: Harness, probe, mail, sender) -> None:
    envelope = await service.deliver(account_locked(), subject="account-1", producer="identity")
    await probe.received(mail, 1)

    await service.redeliver(envelope, AccountLocked.topic())
    await sender.send_due()  # whatever is due goes now, not after the next poll

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_a_lock_that_already_ended_sends_nothing_and_says_why(
    service: Harness, probe, mail, sender
) -> None:
    ended = datetime.now(UTC) - timedelta(minutes=1)
    event = account_locked(locked_until=ended)
    envelope = await service.deliver(event, subject="account-1", producer="identity")
    await service.redeliver(envelope, AccountLocked.topic())
    await sender.send_due()

    delivery = await probe.delivery()  # one row, even though the event came twice
    assert delivery.status == "skipped"
    assert delivery.skip_reason == "expired-before-sending"
    assert delivery.recipient == "kunde@example.de"
    assert delivery.sealed_text is None
    assert mail.messages == []
