"""The SMTP relay: connecting with the configured options and reading its failures."""

from __future__ import annotations

import aiosmtplib

from notifications.settings import NotificationsSettings


class SmtpRelay:
    def __init__(self, settings: NotificationsSettings) -> None:
        self._settings = settings

    async def connect(self) -> aiosmtplib.SMTP:
        s = self._settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout_seconds,
            start_tls=s.smtp_starttls,  # True: required; False: plain (the local mail catcher)
        )
        await client.connect()
        return client


async def disconnect(client: aiosmtplib.SMTP) -> None:
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


def lost_connection(exc: BaseException) -> bool:
    """The relay is unreachable or went away: nothing else in this batch will get through."""
    return isinstance(exc, OSError | aiosmtplib.SMTPConnectError | aiosmtplib.SMTPHeloError)


def refused_for_good(exc: BaseException) -> bool:
    """The relay refused this message with a permanent (5xx) answer: retrying cannot help.

    Only answers about the message itself count; a refused sender or failed log-in is our
    configuration, which an operator can fix, so those are retried like an outage.
    """
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(r.code >= 500 for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return exc.code >= 500
    return False


def error_code(exc: BaseException) -> int | None:
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return exc.code
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        return exc.recipients[0].code
    return None


def error_text(exc: BaseException) -> str:
    """For the delivery row (which holds the address anyway); logs get type and code only."""
    return f"{type(exc).__name__}: {exc}"[:1000]
