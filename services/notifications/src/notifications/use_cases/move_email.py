"""ContractMoved → a confirmation that supply moves with the customer to the new address."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import contracts_link
from notifications.domain.locale import format_date, format_postcode, pick_language
from notifications.use_cases.customer_recipient import recipient_or_skip
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractMoved

KIND = EmailKind.CONTRACT_MOVED


async def queue_move_email(uow: UnitOfWork, room: MailRoom, event_id: str, data: ContractMoved) -> None:
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
            # The event carries postcodes only; street and house number stay in contracts.
            "old_postcode": format_postcode(data.old_supply_postcode),
            "new_postcode": format_postcode(data.new_supply_postcode),
            "move_out_date": format_date(data.move_out_date, language),
            "move_in_date": format_date(data.move_in_date, language),
            "link": contracts_link(room.settings.public_url),
        },
    )
