"""ContractWithdrawn → a confirmation that the contract is void, free of charge."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import contracts_link
from notifications.domain.locale import format_date
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractWithdrawn

KIND = EmailKind.CONTRACT_WITHDRAWN


async def queue_withdrawal_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: ContractWithdrawn
) -> None:
    last_supply_day = data.last_supply_day
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "withdrawn_on": format_date(data.withdrawn_on, to.language),
            # None when supply never started; else what was supplied is settled, without a fee.
            "last_supply_day": format_date(last_supply_day, to.language) if last_supply_day else None,
            "link": contracts_link(room.settings.public_url),
        },
    )
