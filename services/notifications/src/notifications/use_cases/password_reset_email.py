"""PasswordResetRequested → the email with the reset link, unless the token already expired."""

from __future__ import annotations

from datetime import UTC, datetime

from notifications.db.repositories import Recipients
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import password_reset_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email, skip_email
from portal_chassis.dead_letter import PermanentError
from portal_chassis.sealing import SealingError
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PasswordResetRequested

KIND = EmailKind.PASSWORD_RESET


async def queue_password_reset_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PasswordResetRequested
) -> None:
    language = pick_language(data.language)
    known = await Recipients(uow.session).for_account(data.account_id)
    customer_number = known.customer_number if known is not None else None
    if data.expired(datetime.now(UTC)):
        # Arrived too late (a long consumer outage, a replay): a dead link helps nobody.
        await skip_email(
            uow,
            event_id=event_id,
            kind=KIND,
            reason=SkipReason.EXPIRED,
            language=language,
            recipient=str(data.email),
            customer_number=customer_number,
        )
        return
    try:
        token = room.sealer.open(data.sealed_token)
        code = room.sealer.open(data.sealed_code) if data.sealed_code else None
    except SealingError as exc:
        # Not this message's bad luck but a key mismatch: retrying cannot help.
        raise PermanentError("reset token cannot be opened with this service's key") from exc
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(str(data.email), language, customer_number),
        values={
            "link": password_reset_link(room.settings.public_url, token),
            "expires_at": format_datetime(data.expires_at, room.settings.zone, language),
            # The app's short-lived code; older events carry none and the email shows only the link.
            "code": code,
            "code_expires_at": (
                format_datetime(data.code_expires_at, room.settings.zone, language)
                if data.code_expires_at
                else None
            ),
        },
        send_before=data.expires_at,
    )
