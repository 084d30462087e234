"""A claim is a lease on one delivery: the send ends before the lease does, and an outcome
recorded after another sender took the delivery over changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import aiosmtplib
import pytest

from notifications.delivery.sender import DeliverySender
from notifications.settings import NotificationsSettings
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordResetRequested

LEASE = timedelta(seconds=0.2)


def reset_requested(mail_secrets: MailSecretsEncrypter) -> PasswordResetRequested:
    return PasswordResetRequested(
        account_id="account-1",
        email="klant@example.nl",
        language="nl",
        sealed_token=mail_secrets.encrypt(
            "a-token-that-is-long-enough-to-be-real-0009", SecretPurpose.PASSWORD_RESET_TOKEN
        ),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


@pytest.fixture
def short_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lease that runs out while the test waits. These tests stall a sender between its
    claim and its outcome, not in the SMTP exchange, so the send keeps a roomy time limit."""
    monkeypatch.setattr(NotificationsSettings, "send_lease", property(lambda self: LEASE))
    monkeypatch.setattr(NotificationsSettings, "send_time_limit", property(lambda self: timedelta(seconds=5)))


@pytest.fixture
async def senders(
    service: Harness, sender: DeliverySender, settings: NotificationsSettings, sealer: Sealer
) -> Callable[[], DeliverySender]:
    """Sender instances as other processes would run them, driven step by step by the test;
    the app's own loop is stopped so that it stays out of the way."""
    await sender.stop()

    def new() -> DeliverySender:
        other = DeliverySender(settings, sealer)
        other._new_uow = service.runtime.new_uow  # what start() binds, without its loop
        return other

    return new


def taken_over(caplog: pytest.LogCaptureFixture) -> int:
    return sum(
        1
        for r in caplog.records
        if isinstance(r.msg, dict) and str(r.msg.get("event", "")).startswith("delivery taken over")
    )


async def test_a_late_outcome_changes_nothing_once_another_sender_took_over(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter, short_lease: None, senders, caplog
) -> None:
    await service.deliver(reset_requested(mail_secrets), subject="account-1", producer="identity")
    delivery = await probe.delivery()
    first, second = senders(), senders()

    held = await first._claim(delivery.id)
    assert held is not None
    assert await second._claim(delivery.id) is None  # the lease holds

    await asyncio.sleep(LEASE.total_seconds() + 0.1)  # the first sender stalls past its lease
    taken = await second._claim(delivery.id)
    assert taken is not None
    assert taken.until > held.until

    # The first sender's outcomes arrive late: neither counts an attempt nor moves the lease.
    await first._record_failure(held, aiosmtplib.SMTPDataError(451, "try again later"))
    await first._record_sent(held)
    row = await probe.delivery()
    assert (row.status, row.attempts, row.last_error, row.sent_at) == ("pending", 0, None, None)
    assert row.next_attempt_at == taken.until
    assert taken_over(caplog) == 2

    await second._record_sent(taken)
    row = await probe.delivery()
    assert (row.status, row.attempts) == ("sent", 1)


async def test_after_the_lease_a_second_sender_sends_and_the_first_cannot_undo_it(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter, short_lease: None, senders, caplog
) -> None:
    await service.deliver(reset_requested(mail_secrets), subject="account-1", producer="identity")
    delivery = await probe.delivery()
    first, second = senders(), senders()

    held = await first._claim(delivery.id)
    assert held is not None
    assert await second.send_due() == 0  # claimed: not due for anyone else

    await asyncio.sleep(LEASE.total_seconds() + 0.1)
    assert await second.send_due() == 1
    [message] = mail.messages
    assert message["Message-ID"] == f"<{delivery.id}@portal.invalid>"
    sent = await probe.delivery()
    assert (sent.status, sent.attempts) == ("sent", 1)

    await first._record_failure(held, aiosmtplib.SMTPRecipientsRefused([]))
    after = await probe.delivery()
    assert (after.status, after.attempts, after.sent_at, after.last_error) == (
        "sent",
        1,
        sent.sent_at,
        None,
    )
    assert taken_over(caplog) == 1


async def test_a_late_outcome_counts_when_nobody_took_over(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter, short_lease: None, senders
) -> None:
    await service.deliver(reset_requested(mail_secrets), subject="account-1", producer="identity")
    delivery = await probe.delivery()
    first = senders()

    held = await first._claim(delivery.id)
    assert held is not None
    await asyncio.sleep(LEASE.total_seconds() + 0.1)  # expired, but still this claim's time
    await first._record_sent(held)
    row = await probe.delivery()
    assert (row.status, row.attempts) == ("sent", 1)


async def test_a_send_that_would_outlast_the_lease_is_cut_short(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        NotificationsSettings, "send_time_limit", property(lambda self: timedelta(seconds=0.3))
    )
    mail.stall_data = 1.0  # under the SMTP timeout (2 s), over the send's time limit
    await service.deliver(reset_requested(mail_secrets), subject="account-1", producer="identity")

    async def cut_short() -> bool:
        return "TimeoutError" in ((await probe.delivery()).last_error or "")

    await probe.eventually(cut_short)
    waiting = await probe.delivery()
    assert (waiting.status, waiting.attempts) == ("pending", 0)  # the relay's slowness, not the email's

    mail.stall_data = 0.0
    assert len(await probe.received(mail, 1)) == 1  # the stalled attempt was never accepted
    assert (await probe.delivery()).attempts == 1
