"""RenewalProposed → the fixed term ends on a date, and what happens without a reply."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import renewal_link
from notifications.domain.locale import format_date, pick_language
from notifications.use_cases.customer_recipient import recipient_or_skip
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import RenewalProposed

KIND = EmailKind.RENEWAL_PROPOSAL


async def queue_renewal_email(uow: UnitOfWork, room: MailRoom, event_id: str, data: RenewalProposed) -> None:
    recipient = await recipient_or_skip(
        uow, event_id=event_id, kind=KIND, customer_number=data.customer_number
    )
    if recipient is None:
        return
    language = pick_language(recipient.language)
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(recipient.email, language, data.customer_number),
        values={
            "contract_number": data.contract_number,  # None in events written before it existed
            "commodity": data.commodity,
            "product": data.product_code,
            "fixed_term_end": format_date(data.fixed_term_end, language),
            "link": renewal_link(room.settings.public_url, data.contract_id),
        },
    )
