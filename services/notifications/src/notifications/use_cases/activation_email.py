"""ActivationRequested → "confirm your address" with a link and a 6-digit code.

Only the newest request of an account matters: identity replaces the older link and code, so
an older email still waiting to go out is marked superseded when a newer one is queued, and a
request that arrives after a newer one (redelivery, replay) is recorded as superseded too.
"""

from __future__ import annotations

from datetime import datetime

from notifications.db.repositories import Deliveries
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import activation_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.addressees import account_addressee
from notifications.use_cases.mailed_secrets import open_link_and_code, stale_reason
from notifications.use_cases.queue_email import AboutAccount, MailRoom, queue_email, skip_email
from portal_chassis.mail_secrets import SecretPurpose
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import ActivationRequested

KIND = EmailKind.ACTIVATION


async def queue_activation_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, occurred_at: datetime, data: ActivationRequested
) -> None:
    deliveries = Deliveries(uow.session)
    if await deliveries.exists(event_id, KIND):
        return  # handled before (the inbox guards too)
    language = pick_language(data.language)
    # Known only when the account was activated before (an address confirmed again).
    to = await account_addressee(
        uow, room, account_id=data.account_id, email=str(data.email), language=language
    )
    about = AboutAccount(data.account_id, occurred_at)

    reason = await stale_reason(
        deliveries,
        account_id=data.account_id,
        kind=KIND,
        occurred_at=occurred_at,
        event_id=event_id,
        expires_at=data.expires_at,
    )
    if reason is not None:
        await skip_email(
            uow,
            event_id=event_id,
            kind=KIND,
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
        link=SecretPurpose.ACTIVATION_TOKEN,
        code=SecretPurpose.ACTIVATION_CODE,
    )

    await deliveries.supersede_pending(
        data.account_id, KIND, up_to=occurred_at, event_id=event_id, reason=SkipReason.SUPERSEDED.value
    )
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=to,
        values={
            "link": activation_link(room.settings.public_url, token),
            "code": code,
            "legacy_migration": data.purpose == "legacy_migration",  # the old portal's account
            "expires_at": format_datetime(data.expires_at, room.zone(to), language),
        },
        send_before=data.expires_at,
        about=about,
    )
