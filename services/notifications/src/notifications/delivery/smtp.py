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
    """Politely (QUIT), after an exchange that ended with an answer."""
    try:
        await client.quit()
    except (aiosmtplib.SMTPException, OSError):
        client.close()


SERVICE_NOT_AVAILABLE = 421  # RFC 5321: the relay is closing the channel, whatever we asked


def about_the_message(exc: BaseException) -> bool:
    """The relay answered about this message (its recipient, its content, its address): the
    failure counts as an attempt of this delivery, and the retry policy applies.

    Anything else is the relay's state, not the message's fault: unreachable, connection lost
    or timed out, greeting or log-in refused, sender refused (our configuration), or a 421 at
    any step. Those say nothing about this email; every other one would fare the same.
    """
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(r.code != SERVICE_NOT_AVAILABLE for r in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError):
        return exc.code != SERVICE_NOT_AVAILABLE
    # Raised before anything is sent when this message's address needs SMTPUTF8.
    return isinstance(exc, aiosmtplib.SMTPNotSupported)


def refused_for_good(exc: BaseException) -> bool:
    """The relay refused this message with a permanent (5xx) answer: retrying cannot help.

    Only asked of answers about the message itself (:func:`about_the_message`); a refused
    sender or failed log-in is our configuration, which an operator can fix, so those pause
    sending like an outage instead.
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
