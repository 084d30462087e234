"""PortalAccessApproved → the link to choose a password (which also confirms the address),
unless it already expired."""

from __future__ import annotations

from datetime import UTC, datetime

from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import accept_invitation_link
from notifications.domain.locale import format_datetime, pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email, skip_email
from portal_chassis.dead_letter import PermanentError
from portal_chassis.sealing import SealingError
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
        )
        return
    try:
        token = room.sealer.open(data.sealed_token)
    except SealingError as exc:
        # A key mismatch, not this message's bad luck: retrying cannot help.
        raise PermanentError("invitation token cannot be opened with this service's key") from exc
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(str(data.email), language),
        values={
            "link": accept_invitation_link(room.settings.public_url, token),
            "expires_at": format_datetime(data.expires_at, room.settings.zone, language),
        },
        send_before=data.expires_at,
    )
