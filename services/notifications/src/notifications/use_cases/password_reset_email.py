"""PasswordResetRequested → the email with the reset link, unless the token already expired."""

from __future__ import annotations

from datetime import UTC, datetime

from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import password_reset_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.addressees import account_addressee
from notifications.use_cases.mailed_secrets import open_secret
from notifications.use_cases.queue_email import MailRoom, queue_email, skip_email
from portal_chassis.mail_secrets import SecretPurpose
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PasswordResetRequested

KIND = EmailKind.PASSWORD_RESET


async def queue_password_reset_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PasswordResetRequested
) -> None:
    language = pick_language(data.language)
    to = await account_addressee(
        uow, room, account_id=data.account_id, email=str(data.email), language=language
    )
    if data.expired(datetime.now(UTC)):
        # Arrived too late (a long consumer outage, a replay): a dead link helps nobody.
        await skip_email(
            uow,
            event_id=event_id,
            kind=KIND,
            reason=SkipReason.EXPIRED,
            language=language,
            recipient=to.email,
            customer_number=to.customer_number,
            account_id=to.account_id,
        )
        return
    token = open_secret(room, data.sealed_token, SecretPurpose.PASSWORD_RESET_TOKEN)
    sealed_code = data.sealed_code
    code = open_secret(room, sealed_code, SecretPurpose.PASSWORD_RESET_CODE) if sealed_code else None
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=to,
        values={
            "link": password_reset_link(room.settings.public_url, token),
            "expires_at": format_datetime(data.expires_at, room.zone(to), language),
            # The app's short-lived code; older events carry none and the email shows only the link.
            "code": code,
            "code_expires_at": (
                format_datetime(data.code_expires_at, room.zone(to), language)
                if data.code_expires_at
                else None
            ),
        },
        send_before=data.expires_at,
    )
