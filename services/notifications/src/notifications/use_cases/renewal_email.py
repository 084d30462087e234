"""RenewalProposed → the fixed term ends on a date, and what happens without a reply."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import renewal_link
from notifications.domain.locale import format_date
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import RenewalProposed

KIND = EmailKind.RENEWAL_PROPOSAL


async def queue_renewal_email(uow: UnitOfWork, room: MailRoom, event_id: str, data: RenewalProposed) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "contract_number": data.contract_number,  # None in events written before it existed
            "commodity": data.commodity,
            "product": data.product_code,
            "fixed_term_end": format_date(data.fixed_term_end, to.language),
            "link": renewal_link(room.settings.public_url, data.contract_id),
        },
    )
