"""AccountLocked → "your account is locked until …", unless the lock has already ended."""

from __future__ import annotations

from datetime import UTC, datetime

from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import forgot_password_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.addressees import account_addressee
from notifications.use_cases.queue_email import MailRoom, queue_email, skip_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountLocked

KIND = EmailKind.ACCOUNT_LOCKED


async def queue_account_locked_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: AccountLocked
) -> None:
    language = pick_language(data.language)
    to = await account_addressee(
        uow, room, account_id=data.account_id, email=str(data.email), language=language
    )
    if datetime.now(UTC) >= data.locked_until:
        # Arrived after the lock ended (a long consumer outage, a replay): "locked until"
        # a moment already past would only confuse; the account works again anyway.
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
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=to,
        values={
            "locked_until": format_datetime(data.locked_until, room.zone(to), language),
            "link": forgot_password_link(room.settings.public_url),
        },
        # Same reasoning at the sender: once the lock is over, the email is no longer true.
        send_before=data.locked_until,
    )
