"""ActivationRequested → one "confirm your address" email with a link and a 6-digit code,
through a real (in-process) SMTP server; a newer request for the account replaces an older one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose, generate_key_pair
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.identity import ActivationRequested

from .conftest import text_and_html

TOKEN = "aCt1v8-very_random-token_value-0123456789abcdefXYZ"  # link longer than 78 characters
CODE = "048213"
# 1 July 2099 10:00 UTC is 12:00 in Amsterdam (CEST, UTC+2).
FAR_EXPIRY = datetime(2099, 7, 1, 10, 0, tzinfo=UTC)
TOPIC = ActivationRequested.topic()


def activation_requested(
    mail_secrets: MailSecretsEncrypter,
    *,
    language: str = "nl",
    token: str = TOKEN,
    code: str = CODE,
    expires_at: datetime = FAR_EXPIRY,
    email: str = "nieuw@example.nl",
    account_id: str = "account-7",
) -> ActivationRequested:
    return ActivationRequested(
        account_id=account_id,
        email=email,
        language=language,  # type: ignore[arg-type]
        sealed_token=mail_secrets.encrypt(token, SecretPurpose.ACTIVATION_TOKEN),
        sealed_code=mail_secrets.encrypt(code, SecretPurpose.ACTIVATION_CODE),
        expires_at=expires_at,
    )


def link(token: str = TOKEN) -> str:
    return f"https://portal.example.test/activate?token={token}"


async def publish(service: Harness, data: ActivationRequested, occurred_at: datetime) -> Envelope:
    envelope = Envelope.wrap(data, subject=data.account_id, producer="identity", occurred_at=occurred_at)
    await service.redeliver(envelope, TOPIC)  # publishes the envelope as it is
    return envelope


def test_the_topic_is_identitys() -> None:
    assert TOPIC == "identity.activation-requested.v1"


async def test_an_activation_request_becomes_one_email_with_link_and_code(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    await service.deliver(activation_requested(mail_secrets), subject="account-7", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.status == "sent" and delivery.attempts == 1
    assert delivery.kind == "activation" and delivery.account_id == "account-7"
    assert message["To"] == "nieuw@example.nl"
    assert message["Content-Language"] == "nl"
    assert message["Subject"] == "Bevestig je e-mailadres voor het klantportaal"
    assert message.get_content_type() == "multipart/alternative"
    text, html = text_and_html(message)

    # The link stands alone on its line, unbroken, and carries exactly the sealed token.
    [line] = [line for line in text.splitlines() if "activate?token=" in line]
    assert line == link()
    assert len(line) > 78  # would have been folded had the body not been quoted-printable
    assert parse_qs(urlsplit(line).query)["token"] == [TOKEN]
    assert CODE in text.splitlines()  # the code on its own line, leading zero kept
    assert "1 juli 2099, 12:00" in text  # Amsterdam time, not UTC
    assert f'href="{link()}"' in html
    assert f">{CODE}</p>" in html
    assert '<html lang="nl">' in html
    # Stored sealed: neither the live token nor the code is in the database in clear.
    stored = (delivery.sealed_text or "") + (delivery.sealed_html or "")
    assert TOKEN not in stored and CODE not in stored


async def test_each_language_is_its_own(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    now = datetime.now(UTC)
    for n, language in enumerate(("en", "fr", "de")):
        # One account re-requesting in three languages: each newer request supersedes the one
        # before if still pending, so different accounts keep all three.
        data = activation_requested(mail_secrets, language=language, account_id=f"account-{language}")
        await publish(service, data, now + timedelta(seconds=n))
    messages = await probe.received(mail, 3)
    subjects = {m["Content-Language"]: m["Subject"] for m in messages}
    assert subjects == {
        "en": "Confirm your email address for the customer portal",
        "fr": "Confirmez votre adresse e-mail pour le portail client",
        "de": "Bestätigen Sie Ihre E-Mail-Adresse für das Kundenportal",
    }
    for message in messages:
        text, html = text_and_html(message)
        assert link() in text.splitlines() and CODE in text.splitlines()
        assert f'href="{link()}"' in html and f">{CODE}</p>" in html
    texts = {m["Content-Language"]: text_and_html(m)[0] for m in messages}
    assert "1 July 2099, 12:00" in texts["en"]
    assert "1 juillet 2099, 12:00" in texts["fr"]
    assert "1. Juli 2099, 12:00" in texts["de"]


async def test_an_account_of_the_old_portal_is_told_about_the_move(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    now = datetime.now(UTC)
    for n, language in enumerate(("nl", "en", "fr", "de")):
        data = activation_requested(mail_secrets, language=language, account_id=f"account-{language}")
        await publish(
            service, data.model_copy(update={"purpose": "legacy_migration"}), now + timedelta(seconds=n)
        )
    messages = {m["Content-Language"]: m for m in await probe.received(mail, 4)}
    # Subjects this long are folded onto the header's second line; readers drop the fold's space.
    assert (
        messages["nl"]["Subject"].strip()
        == "Bevestig je e-mailadres en rond de overstap naar ons nieuwe klantportaal af"
    )
    moving = "Confirm your email address to finish moving to our new customer portal"
    assert messages["en"]["Subject"].strip() == moving
    expected = {
        "nl": ("ons oude klantportaal", "Fijn dat je je hebt aangemeld"),
        "en": ("our old customer portal", "Thank you for registering"),
        "fr": ("notre ancien portail client", "Merci pour votre inscription"),
        "de": ("unserem alten Kundenportal", "vielen Dank für Ihre Registrierung"),
    }
    for language, (move, registration) in expected.items():
        text, html = text_and_html(messages[language])
        flat_text, flat_html = " ".join(text.split()), " ".join(html.split())
        assert move in flat_text and move in flat_html, language
        assert registration not in flat_text and registration not in flat_html, language
        assert link() in text.splitlines() and CODE in text.splitlines()  # link and code as ever


async def test_the_same_event_twice_sends_once(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    envelope = await service.deliver(
        activation_requested(mail_secrets), subject="account-7", producer="identity"
    )
    await probe.received(mail, 1)

    await service.redeliver(envelope, TOPIC)
    await sender.send_due()

    assert len(mail.messages) == 1
    [delivery] = await probe.deliveries()
    assert delivery.status == "sent"


async def test_an_expired_request_sends_nothing_and_says_why(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    expired = datetime.now(UTC) - timedelta(minutes=1)
    await service.deliver(
        activation_requested(mail_secrets, expires_at=expired), subject="account-7", producer="identity"
    )
    await sender.send_due()

    delivery = await probe.delivery()
    assert delivery.status == "skipped"
    assert delivery.skip_reason == "expired-before-sending"
    assert delivery.sealed_text is None
    assert mail.messages == []


async def test_the_email_is_not_sent_after_the_request_expired(
    service: Harness, probe, mail_down, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    # Queued while valid, but the relay is down until after the expiry: send_before holds it back.
    soon = datetime.now(UTC) + timedelta(seconds=1)
    await publish(service, activation_requested(mail_secrets, expires_at=soon), datetime.now(UTC))
    await probe.eventually(lambda: _has_pending(probe))
    delivery = await probe.delivery()
    assert delivery.send_before == soon

    await probe.eventually(lambda: _after(soon))
    mail_down.start()
    await probe.eventually(lambda: _status_is(probe, "skipped"))
    assert (await probe.delivery()).skip_reason == "expired-before-sending"
    assert mail_down.messages == []


async def test_a_newer_request_supersedes_the_older_unsent_one(
    service: Harness, probe, mail_down, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    # The relay is down, so the first email is still waiting when the second request comes.
    now = datetime.now(UTC)
    first = await publish(service, activation_requested(mail_secrets, token="old-token-" + "a" * 40), now)
    await probe.eventually(lambda: _has_pending(probe))
    second = await publish(
        service, activation_requested(mail_secrets, token=TOKEN, code="771204"), now + timedelta(minutes=2)
    )
    await probe.eventually(lambda: _count(probe, 2))

    mail_down.start()
    [message] = await probe.received(mail_down, 1)
    await sender.send_due()  # anything else due would go now
    assert len(mail_down.messages) == 1
    text, _ = text_and_html(message)
    assert link() in text.splitlines() and "771204" in text.splitlines()

    by_event = {d.event_id: d for d in await probe.deliveries()}
    assert by_event[str(first.event_id)].status == "skipped"
    assert by_event[str(first.event_id)].skip_reason == "superseded-by-newer-request"
    assert by_event[str(second.event_id)].status == "sent"


async def test_an_older_request_arriving_late_is_not_sent(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    now = datetime.now(UTC)
    newer = await publish(service, activation_requested(mail_secrets), now)
    await probe.received(mail, 1)
    older = await publish(
        service, activation_requested(mail_secrets, token="old-token-" + "b" * 40), now - timedelta(minutes=5)
    )
    await probe.eventually(lambda: _count(probe, 2))
    await sender.send_due()

    assert len(mail.messages) == 1
    by_event = {d.event_id: d for d in await probe.deliveries()}
    assert by_event[str(newer.event_id)].status == "sent"
    assert by_event[str(older.event_id)].status == "skipped"
    assert by_event[str(older.event_id)].skip_reason == "superseded-by-newer-request"


async def test_other_accounts_are_not_superseded(
    service: Harness, probe, mail_down, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    now = datetime.now(UTC)
    await publish(service, activation_requested(mail_secrets), now)
    other = activation_requested(mail_secrets, email="ander@example.nl", account_id="account-8")
    await publish(service, other, now + timedelta(minutes=1))
    await probe.eventually(lambda: _count(probe, 2))

    mail_down.start()
    messages = await probe.received(mail_down, 2)
    assert sorted(m["To"] for m in messages) == ["ander@example.nl", "nieuw@example.nl"]


async def test_a_token_sealed_with_another_key_is_refused(service: Harness, probe, mail, sender) -> None:
    stranger = MailSecretsEncrypter(generate_key_pair()[1])
    await service.deliver(activation_requested(stranger), subject="account-7", producer="identity")
    await sender.send_due()

    assert await probe.deliveries() == []  # rolled back; the event went to the dead letters
    assert mail.messages == []


async def test_a_code_that_is_not_six_digits_is_refused(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    await publish(service, activation_requested(mail_secrets, code="12345"), datetime.now(UTC))
    await sender.send_due()

    assert await probe.deliveries() == []
    assert mail.messages == []


async def _has_pending(probe) -> bool:  # type: ignore[no-untyped-def]
    return any(d.status == "pending" for d in await probe.deliveries())


async def _count(probe, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await probe.deliveries()) == n


async def _status_is(probe, status: str) -> bool:  # type: ignore[no-untyped-def]
    return [d.status for d in await probe.deliveries()] == [status]


async def _after(moment: datetime) -> bool:
    return datetime.now(UTC) > moment
