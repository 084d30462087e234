"""PortalAccessApproved → the link to choose a password (which also confirms the address),
unless it already expired."""

from __future__ import annotations

from datetime import UTC, datetime

from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import accept_invitation_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.addressees import account_addressee
from notifications.use_cases.mailed_secrets import open_secret
from notifications.use_cases.queue_email import MailRoom, queue_email, skip_email
from portal_chassis.mail_secrets import SecretPurpose
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PortalAccessApproved

KIND = EmailKind.PORTAL_ACCESS_APPROVED


async def queue_access_approved_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PortalAccessApproved
) -> None:
    language = pick_language(data.language)
    if datetime.now(UTC) >= data.expires_at:
        # Arrived too late (a long consumer outage, a replay): a dead link helps nobody.
        await skip_email(
            uow,
            event_id=event_id,
            kind=KIND,
            reason=SkipReason.EXPIRED,
            language=language,
            recipient=str(data.email),
            account_id=data.account_id,
        )
        return
    token = open_secret(room, data.sealed_token, SecretPurpose.INVITATION_TOKEN)
    # The account is only invited (activated once a password is chosen): greeted neutrally.
    to = await account_addressee(
        uow, room, account_id=data.account_id, email=str(data.email), language=language
    )
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=to,
        values={
            "link": accept_invitation_link(room.settings.public_url, token),
            "expires_at": format_datetime(data.expires_at, room.zone(to), language),
        },
        send_before=data.expires_at,
    )
