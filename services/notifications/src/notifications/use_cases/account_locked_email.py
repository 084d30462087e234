"""AccountLocked → "your account is locked until …", unless the lock has already ended."""

from __future__ import annotations

from datetime import UTC, datetime

from notifications.db.repositories import Recipients
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import forgot_password_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email, skip_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountLocked

KIND = EmailKind.ACCOUNT_LOCKED


async def queue_account_locked_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: AccountLocked
) -> None:
    language = pick_language(data.language)
    known = await Recipients(uow.session).for_account(data.account_id)
    customer_number = known.customer_number if known is not None else None
    if datetime.now(UTC) >= data.locked_until:
        # Arrived after the lock ended (a long consumer outage, a replay): "locked until"
        # a moment already past would only confuse; the account works again anyway.
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
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(str(data.email), language, customer_number),
        values={
            "locked_until": format_datetime(data.locked_until, room.settings.zone, language),
            "link": forgot_password_link(room.settings.public_url),
        },
        # Same reasoning at the sender: once the lock is over, the email is no longer true.
        send_before=data.locked_until,
    )
