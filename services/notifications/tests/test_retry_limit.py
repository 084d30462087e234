"""With the relay down for good, the sender counts its attempts and gives up at the limit;
an operator can put the failed delivery back in the queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notifications.settings import NotificationsSettings
from notifications.use_cases.operations import delivery_report, requeue_failed
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordResetRequested


@pytest.fixture
def settings(settings: NotificationsSettings) -> NotificationsSettings:
    settings.retry_max_attempts = 3
    return settings


async def test_the_sender_gives_up_after_the_last_attempt(
    service: Harness, probe, mail_down, sender, sealer: Sealer
) -> None:
    await service.deliver(
        PasswordResetRequested(
            account_id="account-1",
            email="klant@example.nl",
            language="nl",
            sealed_token=sealer.seal("a-token-that-is-long-enough-to-be-real-0002"),
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
    assert mail_down.messages == []

    async with service.runtime.new_uow() as uow:
        report = await delivery_report(uow)
    assert report.counts == {("password_reset", "failed"): 1}
    [failed] = report.failed
    assert (failed.id, failed.attempts) == (delivery.id, 3)

    # The relay is fixed; the operator puts the delivery back in the queue.
    mail_down.start()
    async with service.runtime.new_uow() as uow:
        assert await requeue_failed(uow) == 1
    sender.wake()
    [message] = await probe.received(mail_down, 1)
    assert message["Message-ID"] == f"<{delivery.id}@portal.invalid>"
    assert (await probe.delivery()).attempts == 1  # a fresh count after the requeue
