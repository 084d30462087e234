"""An SMTP outage is not the messages' fault: pending deliveries keep their attempts, the
sender pauses as a whole (logging the outage once, not per email) and sends everything once
the relay is back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import aiosmtplib
import pytest

from notifications.delivery.smtp import about_the_message, refused_for_good
from notifications.settings import NotificationsSettings
from portal_chassis.mail_secrets import MailSecretsEncrypter, SecretPurpose
from portal_chassis.testing import Harness
from portal_schemas.identity import PasswordResetRequested


@pytest.fixture
def settings(settings: NotificationsSettings) -> NotificationsSettings:
    # Counted against the deliveries, an outage would fail them all within a second.
    settings.retry_max_attempts = 3
    return settings


def reset_requested(mail_secrets: MailSecretsEncrypter, n: int) -> PasswordResetRequested:
    return PasswordResetRequested(
        account_id=f"account-{n}",
        email=f"klant{n}@example.nl",
        language="nl",
        sealed_token=mail_secrets.encrypt(
            f"a-token-that-is-long-enough-to-be-real-{n:04}", SecretPurpose.PASSWORD_RESET_TOKEN
        ),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


async def request_resets(service: Harness, mail_secrets: MailSecretsEncrypter, count: int) -> None:
    for n in range(1, count + 1):
        await service.deliver(reset_requested(mail_secrets, n), subject=f"account-{n}", producer="identity")


def logged(caplog: pytest.LogCaptureFixture, event: str) -> int:
    return sum(
        1 for r in caplog.records if isinstance(r.msg, dict) and str(r.msg.get("event", "")).startswith(event)
    )


class DroppingRelay:
    """Accepts connections and closes them at once, counting them: a relay that is there
    but drops every connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def _drop(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()

    async def __aenter__(self) -> DroppingRelay:
        self._server = await asyncio.start_server(self._drop, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()


async def test_pending_deliveries_outlast_an_outage_longer_than_their_attempts(
    service: Harness, probe, mail_down, mail_secrets: MailSecretsEncrypter, caplog: pytest.LogCaptureFixture
) -> None:
    await request_resets(service, mail_secrets, 3)

    async def all_tried() -> bool:
        deliveries = await probe.deliveries()
        return len(deliveries) == 3 and all(d.last_error for d in deliveries)

    await probe.eventually(all_tried)
    await asyncio.sleep(1.5)  # three attempts each would have taken well under a second

    for delivery in await probe.deliveries():
        assert delivery.status == "pending"
        assert delivery.attempts == 0
        assert "SMTPConnectError" in (delivery.last_error or "")
    assert logged(caplog, "SMTP relay unavailable") == 1  # once for the outage, not per email

    mail_down.start()
    messages = await probe.received(mail_down, 3)
    assert len(messages) == 3
    assert [d.attempts for d in await probe.deliveries()] == [1, 1, 1]
    assert logged(caplog, "SMTP relay answering again") == 1


async def test_the_sender_backs_off_as_a_whole_while_connections_drop(
    service: Harness, probe, mail_down, smtp_port: int, mail_secrets: MailSecretsEncrypter
) -> None:
    async with DroppingRelay(smtp_port) as relay:
        await request_resets(service, mail_secrets, 5)  # each commit wakes the sender: no new try
        await asyncio.sleep(1.2)
        # Pauses of 0.05, 0.1, then 0.2 s (the cap here): about eight tries. Without the
        # backoff every poll (0.05 s) and every wake-up would try, one email each.
        assert 2 <= relay.connections <= 12
        deliveries = await probe.deliveries()
        assert [d.status for d in deliveries] == ["pending"] * 5
        assert [d.attempts for d in deliveries] == [0] * 5

    mail_down.start()
    await probe.received(mail_down, 5)
    assert [d.attempts for d in await probe.deliveries()] == [1] * 5


async def test_a_relay_closing_down_with_421_is_an_outage_too(
    service: Harness, probe, mail, mail_secrets: MailSecretsEncrypter
) -> None:
    mail.rcpt_reply = "421 4.3.2 service shutting down"
    await request_resets(service, mail_secrets, 1)

    async def tried() -> bool:
        return "421" in ((await probe.delivery()).last_error or "")

    await probe.eventually(tried)
    await asyncio.sleep(0.6)  # longer than three counted attempts would take
    waiting = await probe.delivery()
    assert (waiting.status, waiting.attempts) == ("pending", 0)

    mail.rcpt_reply = None
    assert len(await probe.received(mail, 1)) == 1
    assert (await probe.delivery()).attempts == 1


def refused(code: int) -> aiosmtplib.SMTPRecipientsRefused:
    return aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(code, "no", "a@example.nl")])


@pytest.mark.parametrize(
    ("exc", "counted", "final"),
    [
        (ConnectionRefusedError(), False, False),
        (TimeoutError(), False, False),  # also what the send's time limit raises
        (aiosmtplib.SMTPConnectError("refused"), False, False),
        (aiosmtplib.SMTPConnectTimeoutError("slow"), False, False),
        (aiosmtplib.SMTPConnectResponseError(554, "go away"), False, False),
        (aiosmtplib.SMTPServerDisconnected("gone"), False, False),
        (aiosmtplib.SMTPReadTimeoutError("slow"), False, False),
        (aiosmtplib.SMTPHeloError(501, "who?"), False, False),
        (aiosmtplib.SMTPAuthenticationError(535, "bad password"), False, False),
        (aiosmtplib.SMTPSenderRefused(550, "not you", "no-reply@portal.invalid"), False, False),
        (refused(421), False, False),
        (aiosmtplib.SMTPDataError(421, "closing"), False, False),
        (refused(450), True, False),
        (aiosmtplib.SMTPDataError(451, "later"), True, False),
        (aiosmtplib.SMTPNotSupported("SMTPUTF8 is not supported by this server"), True, False),
        (refused(550), True, True),
        (aiosmtplib.SMTPDataError(554, "spam"), True, True),
    ],
)
def test_only_answers_about_the_message_count_as_attempts(
    exc: BaseException, counted: bool, final: bool
) -> None:
    assert about_the_message(exc) is counted
    assert refused_for_good(exc) is final
