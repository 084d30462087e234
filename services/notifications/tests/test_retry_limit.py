"""When the relay keeps refusing a message for now (4xx), the sender counts its attempts and
gives up at the limit; an operator can put the failed delivery back in the queue. (An outage
counts no attempts: see test_outage.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifications.settings import NotificationsSettings
from notifications.use_cases.operations import delivery_report, requeue_failed
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordResetRequested


@pytest.fixture
def settings(settings: NotificationsSettings) -> NotificationsSettings:
    settings.retry_max_attempts = 3
    return settings


async def test_the_sender_gives_up_after_the_last_attempt(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter
) -> None:
    mail.rcpt_reply = "450 4.2.1 mailbox busy, try again later"
    await service.deliver(
        PasswordResetRequested(
            account_id="account-1",
            email="klant@example.nl",
            language="nl",
            sealed_token=mail_secrets.encrypt(
                "a-token-that-is-long-enough-to-be-real-0002", SecretPurpose.PASSWORD_RESET_TOKEN
            ),
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        ),
        subject="account-1",
        producer="identity",
    )

    async def given_up() -> bool:
        return (await probe.delivery()).status == "failed"

    await probe.eventually(given_up)
    delivery = await probe.delivery()
    assert delivery.attempts == 3
    assert delivery.next_attempt_at is None  # no further tries until an operator requeues
    assert "450" in (delivery.last_error or "")
    assert mail.messages == []

    async with service.runtime.new_uow() as uow:
        report = await delivery_report(uow)
    assert report.counts == {("password_reset", "failed"): 1}
    [failed] = report.failed
    assert (failed.id, failed.attempts) == (delivery.id, 3)

    # The mailbox is fixed; the operator puts the delivery back in the queue.
    mail.rcpt_reply = None
    async with service.runtime.new_uow() as uow:
        assert await requeue_failed(uow) == 1
    sender.wake()
    [message] = await probe.received(mail, 1)
    assert message["Message-ID"] == f"<{delivery.id}@portal.invalid>"
    assert (await probe.delivery()).attempts == 1  # a fresh count after the requeue
