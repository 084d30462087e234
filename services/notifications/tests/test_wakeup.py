"""The sender is woken by the consumer's commit, not only by its poll."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from notifications.settings import NotificationsSettings
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordResetRequested


@pytest.fixture
def settings(settings: NotificationsSettings) -> NotificationsSettings:
    settings.send_poll_seconds = 60  # a poll would come far too late for this test
    return settings


async def test_a_committed_delivery_goes_out_at_once(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    started = time.monotonic()
    await service.deliver(
        PasswordResetRequested(
            account_id="account-1",
            email="klant@example.nl",
            language="nl",
            sealed_token=mail_secrets.encrypt(
                "a-token-that-is-long-enough-to-be-real-0003", SecretPurpose.PASSWORD_RESET_TOKEN
            ),
            expires_at=datetime.now(UTC) + timedelta(hours=1),
        ),
        subject="account-1",
        producer="identity",
    )
    await probe.received(mail, 1)
    assert time.monotonic() - started < 5
