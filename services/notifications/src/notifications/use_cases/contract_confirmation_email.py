"""ContractCreated → a confirmation of the new contract and of the 14-day right to withdraw."""

from __future__ import annotations

from datetime import datetime, timedelta

from notifications.domain.delivery import EmailKind
from notifications.domain.links import contracts_link
from notifications.domain.locale import format_date
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractCreated

KIND = EmailKind.CONTRACT_CONFIRMATION
WITHDRAWAL_DAYS = 14


async def queue_contract_confirmation(
    uow: UnitOfWork, room: MailRoom, event_id: str, occurred_at: datetime, data: ContractCreated
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "contract_number": data.contract_number,  # None in events written before it existed
            "commodity": data.commodity,
            # Notifications keeps no product catalogue; the code is what the event has.
            "product": data.product_code,
            "start_date": format_date(data.start_date, to.language),
            # ContractCreated carries no conclusion date: the contract is concluded when it is
            # created, so the event's moment, as a day in the customer's zone, stands in for it.
            "withdrawal_until": format_date(
                calendar_day(occurred_at, room.zone(to)) + timedelta(days=WITHDRAWAL_DAYS), to.language
            ),
            "link": contracts_link(room.settings.public_url),
        },
    )
