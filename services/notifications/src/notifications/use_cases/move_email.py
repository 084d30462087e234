"""ContractMoved → a confirmation that supply moves with the customer to the new address."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import contracts_link
from notifications.domain.locale import format_date, format_postcode
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractMoved

KIND = EmailKind.CONTRACT_MOVED


async def queue_move_email(uow: UnitOfWork, room: MailRoom, event_id: str, data: ContractMoved) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            # The event carries postcodes only; street and house number stay in contracts.
            "old_postcode": format_postcode(data.old_supply_postcode),
            "new_postcode": format_postcode(data.new_supply_postcode),
            "move_out_date": format_date(data.move_out_date, to.language),
            "move_in_date": format_date(data.move_in_date, to.language),
            "link": contracts_link(room.settings.public_url),
        },
    )
