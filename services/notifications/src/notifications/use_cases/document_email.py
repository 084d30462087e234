"""DocumentAvailable → "a new document is in your mailbox", with its title and a link to it."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import document_link
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import DocumentAvailable

KIND = EmailKind.DOCUMENT_AVAILABLE


async def queue_document_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: DocumentAvailable
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "document_kind": data.kind,
            "title": data.title,
            "link": document_link(room.settings.public_url, data.document_id),
        },
    )
