"""BillingModeChanged → how the contract is billed from which date on, and how it was before."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import billing_link
from notifications.domain.locale import format_date
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import BillingModeChanged

KIND = EmailKind.BILLING_MODE_CHANGED


async def queue_billing_mode_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: BillingModeChanged
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "mode": data.mode,  # named and explained by the templates' labels
            "previous_mode": data.previous_mode,
            "effective_from": format_date(data.effective_from, to.language),
            "link": billing_link(room.settings.public_url, data.contract_id),
        },
    )
