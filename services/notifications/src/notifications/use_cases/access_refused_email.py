"""PortalAccessRefused → why the request was refused and what the person can do instead."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import register_link
from notifications.domain.locale import pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PortalAccessRefused

KIND = EmailKind.PORTAL_ACCESS_REFUSED


async def queue_access_refused_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PortalAccessRefused
) -> None:
    language = pick_language(data.language)
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(str(data.email), language),
        values={
            # Phrased, with the way forward, by the language's labels; an unknown reason fails
            # to render, never blank.
            "reason": data.reason,
            "link": register_link(room.settings.public_url),
        },
    )
