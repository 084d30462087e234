"""The sender: waits out an SMTP outage, gives up on permanent refusals, never sends a link
that expired while it waited."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordResetRequested


def reset_requested(
    mail_secrets: MailSecretsEncrypter, *, email: str = "klant@example.nl", expires_at: datetime | None = None
) -> PasswordResetRequested:
    return PasswordResetRequested(
        account_id="account-1",
        email=email,
        language="nl",
        sealed_token=mail_secrets.encrypt(
            "a-token-that-is-long-enough-to-be-real-0001", SecretPurpose.PASSWORD_RESET_TOKEN
        ),
        expires_at=expires_at or datetime.now(UTC) + timedelta(hours=1),
    )


async def test_an_outage_keeps_the_delivery_pending_until_the_relay_is_back(
    service: Harness, probe, mail_down, mail_secrets: MailSecretsEncrypter
) -> None:
    await service.deliver(reset_requested(mail_secrets), subject="account-1", producer="identity")

    async def tried() -> bool:
        return (await probe.delivery()).last_error is not None

    await probe.eventually(tried)
    waiting = await probe.delivery()
    assert waiting.status == "pending"
    assert waiting.sent_at is None
    assert "SMTPConnectError" in (waiting.last_error or "")  # the connection failure is on record
    assert waiting.attempts == 0  # not the message's fault

    mail_down.start()  # the relay comes back on the same port
    [message] = await probe.received(mail_down, 1)
    sent = await probe.delivery()
    assert sent.attempts == 1  # only the send that reached the relay counts
    assert message["Message-ID"] == f"<{sent.id}@portal.invalid>"


async def test_a_link_that_expired_during_an_outage_is_never_sent(
    service: Harness, probe, mail_down, mail_secrets: MailSecretsEncrypter
) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=0.5)
    await service.deliver(
        reset_requested(mail_secrets, expires_at=soon), subject="account-1", producer="identity"
    )

    async def tried() -> bool:
        return (await probe.delivery()).last_error is not None

    await probe.eventually(tried)
    await asyncio.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.1)
    mail_down.start()

    async def settled() -> bool:
        return (await probe.delivery()).status != "pending"

    await probe.eventually(settled)
    delivery = await probe.delivery()
    assert delivery.status == "skipped"
    assert delivery.skip_reason == "expired-before-sending"
    assert mail_down.messages == []


async def test_a_permanent_refusal_fails_at_once_and_stays_for_operators(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    await service.deliver(
        reset_requested(mail_secrets, email="nobody@example.nl"), subject="account-1", producer="identity"
    )

    async def settled() -> bool:
        return (await probe.delivery()).status != "pending"

    await probe.eventually(settled)
    delivery = await probe.delivery()
    assert delivery.status == "failed"
    assert delivery.attempts == 1  # a 5xx for the recipient is not retried
    assert "550" in (delivery.last_error or "")
    assert mail.messages == []
