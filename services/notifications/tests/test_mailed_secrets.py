"""The secrets in identity's events open with this service's private key, each only for its
purpose; events written before that (Fernet, the suite-wide key) still open while the topic
keeps them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from faststream.kafka import KafkaMessage

from notifications.db.tables import Base
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, service_under_test
from portal_schemas.identity import ActivationRequested, PasswordResetRequested
from portal_schemas.topics import dead_letter_topic

TOKEN = "Zt3v0Qp-very_random-token_value-0123456789ab"
CODE = "042917"


@pytest.fixture
def dead_letters(app: FastAPI) -> list[KafkaMessage]:
    found: list[KafkaMessage] = []

    @app.state.runtime.broker.subscriber(dead_letter_topic("notifications"), group_id="dlt-reader")
    async def keep(message: KafkaMessage) -> None:
        found.append(message)

    return found


@pytest.fixture
async def service(app: FastAPI, dead_letters: list[KafkaMessage]) -> AsyncIterator[Harness]:
    # The dead-letter reader subscribes before the broker starts.
    async with service_under_test(app, Base.metadata) as harness:
        yield harness


def reset_requested(sealed_token: str, sealed_code: str | None = None) -> PasswordResetRequested:
    soon = datetime.now(UTC) + timedelta(hours=1)
    return PasswordResetRequested(
        account_id="account-1",
        email="klant@example.nl",
        language="nl",
        sealed_token=sealed_token,
        expires_at=soon,
        sealed_code=sealed_code,
        code_expires_at=soon if sealed_code else None,
    )


async def test_the_secrets_open_for_their_purpose(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    event = reset_requested(
        mail_secrets.encrypt(TOKEN, SecretPurpose.PASSWORD_RESET_TOKEN),
        mail_secrets.encrypt(CODE, SecretPurpose.PASSWORD_RESET_CODE),
    )
    await service.deliver(event, subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    text = message.get_body(("plain",)).get_content()
    assert f"reset-password?token={TOKEN}" in text
    assert CODE in text.splitlines()


async def test_a_code_of_another_mail_is_refused_with_its_reason(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter, dead_letters
) -> None:
    """An activation code copied into a reset event does not open as a reset code."""
    event = reset_requested(
        mail_secrets.encrypt(TOKEN, SecretPurpose.PASSWORD_RESET_TOKEN),
        mail_secrets.encrypt(CODE, SecretPurpose.ACTIVATION_CODE),
    )
    await service.deliver(event, subject="account-1", producer="identity")
    await sender.send_due()

    assert await probe.deliveries() == []
    assert mail.messages == []
    [dead] = dead_letters
    assert dead.headers["dlt-error-type"] == "PermanentError"
    assert "password-reset-code cannot be opened" in dead.headers["dlt-error"]
    assert CODE not in dead.headers["dlt-error"]


async def test_a_token_and_code_swapped_are_refused(
    service: Harness, probe, mail, sender, mail_secrets: MailSecretsEncrypter, dead_letters
) -> None:
    event = ActivationRequested(
        account_id="account-7",
        email="nieuw@example.nl",
        sealed_token=mail_secrets.encrypt(CODE, SecretPurpose.ACTIVATION_CODE),
        sealed_code=mail_secrets.encrypt(TOKEN, SecretPurpose.ACTIVATION_TOKEN),
        expires_at=datetime.now(UTC) + timedelta(hours=24),
    )
    await service.deliver(event, subject="account-7", producer="identity")
    await sender.send_due()

    assert await probe.deliveries() == []
    assert mail.messages == []
    assert "activation-token cannot be opened" in dead_letters[0].headers["dlt-error"]


async def test_an_event_sealed_before_the_change_still_mails(
    service: Harness, probe, mail, sealer: Sealer
) -> None:
    """Written by identity with the suite-wide Fernet key before the secrets were encrypted
    for notifications, and still on the topic (its retention is 3 days)."""
    await service.deliver(
        reset_requested(sealer.seal(TOKEN), sealer.seal(CODE)), subject="account-1", producer="identity"
    )

    [message] = await probe.received(mail, 1)
    text = message.get_body(("plain",)).get_content()
    assert f"reset-password?token={TOKEN}" in text
    assert CODE in text.splitlines()


async def test_a_fernet_value_of_another_key_is_refused(service: Harness, probe, mail, sender) -> None:
    stranger = Sealer(Sealer.new_key())
    await service.deliver(reset_requested(stranger.seal(TOKEN)), subject="account-1", producer="identity")
    await sender.send_due()

    assert await probe.deliveries() == []
    assert mail.messages == []
