"""EmailChangeRequested → two emails: the new address gets a link and a 6-digit code to confirm
it, the old address a notice that a change was asked, in case it was not the owner.

The confirmation behaves like activation's: a newer request of the account replaces the older
link and code, so an older confirmation still waiting is superseded, and one that arrives
after its expiry is not sent. The notice is sent in any case: that someone asked stays true.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from notifications.db.repositories import Deliveries
from notifications.domain.addresses import mask_email
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import confirm_email_link, forgot_password_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.addressees import account_addressee
from notifications.use_cases.mailed_secrets import open_link_and_code, stale_reason
from notifications.use_cases.queue_email import AboutAccount, Addressee, MailRoom, queue_email, skip_email
from portal_chassis.mail_secrets import SecretPurpose
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import EmailChangeRequested

CONFIRMATION = EmailKind.EMAIL_CHANGE_CONFIRMATION
NOTICE = EmailKind.EMAIL_CHANGE_NOTICE


async def queue_email_change_emails(
    uow: UnitOfWork, room: MailRoom, event_id: str, occurred_at: datetime, data: EmailChangeRequested
) -> None:
    language = pick_language(data.language)
    old = await account_addressee(
        uow, room, account_id=data.account_id, email=str(data.old_email), language=language
    )
    await _queue_confirmation(uow, room, event_id, occurred_at, data, replace(old, email=str(data.new_email)))
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=NOTICE,
        to=old,
        values={
            "new_email": mask_email(str(data.new_email)),
            "requested_at": format_datetime(occurred_at, room.zone(old), language),
            "link": forgot_password_link(room.settings.public_url),
        },
    )


async def _queue_confirmation(
    uow: UnitOfWork,
    room: MailRoom,
    event_id: str,
    occurred_at: datetime,
    data: EmailChangeRequested,
    to: Addressee,
) -> None:
    deliveries = Deliveries(uow.session)
    if await deliveries.exists(event_id, CONFIRMATION):
        return  # handled before (the inbox guards too)
    language = pick_language(data.language)
    about = AboutAccount(data.account_id, occurred_at)

    reason = await stale_reason(
        deliveries,
        account_id=data.account_id,
        kind=CONFIRMATION,
        occurred_at=occurred_at,
        event_id=event_id,
        expires_at=data.expires_at,
    )
    if reason is not None:
        await skip_email(
            uow,
            event_id=event_id,
            kind=CONFIRMATION,
            reason=reason,
            language=language,
            recipient=to.email,
            customer_number=to.customer_number,
            about=about,
        )
        return

    token, code = open_link_and_code(
        room,
        data.sealed_token,
        data.sealed_code,
        link=SecretPurpose.EMAIL_CHANGE_TOKEN,
        code=SecretPurpose.EMAIL_CHANGE_CODE,
    )

    await deliveries.supersede_pending(
        data.account_id,
        CONFIRMATION,
        up_to=occurred_at,
        event_id=event_id,
        reason=SkipReason.SUPERSEDED.value,
    )
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=CONFIRMATION,
        to=to,
        values={
            "link": confirm_email_link(room.settings.public_url, token),
            "code": code,
            "expires_at": format_datetime(data.expires_at, room.zone(to), language),
        },
        send_before=data.expires_at,
        about=about,
    )
