"""UnilateralChangeAnnounced → what changes from when, and the right to end the contract free of
charge before it takes effect.

Sent however late it arrives: the customer must hear of the change, and contracts already
guarantees the 30 days' notice when it announces one.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import contracts_link
from notifications.domain.locale import format_date
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import UnilateralChangeAnnounced

KIND = EmailKind.UNILATERAL_CHANGE


async def queue_unilateral_change_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: UnilateralChangeAnnounced
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "change_kind": data.kind,
            # Written by operations, as it is; autoescaped in the HTML part.
            "description": data.description,
            "effective_date": format_date(data.effective_date, to.language),
            "link": contracts_link(room.settings.public_url),
        },
    )
