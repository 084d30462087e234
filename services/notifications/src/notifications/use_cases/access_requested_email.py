"""PortalAccessRequested → "we received your request; operations will answer by email".

The requester has no account yet: the address comes from the event, and the customer number
they typed is only a claim, so it is repeated to them but not filed on the delivery.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.locale import pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import PortalAccessRequested

KIND = EmailKind.PORTAL_ACCESS_REQUESTED


async def queue_access_requested_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PortalAccessRequested
) -> None:
    language = pick_language(data.language)
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(str(data.email), language),
        values={"name": data.name, "customer_number": data.customer_number},
    )
