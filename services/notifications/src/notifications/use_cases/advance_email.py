"""AdvanceChanged → the new monthly advance and the first billing period it applies to.

A change by the customer or by operations is confirmed as such; billing's own first plan for a
contract (``changed_by`` "billing") is sent as information. An amount of zero means no advance
is collected from that date on.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import billing_link
from notifications.domain.locale import format_date, format_money
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import AdvanceChanged
from portal_schemas.types import Language, Money, to_cents

KIND = EmailKind.ADVANCE_CHANGED


async def queue_advance_email(uow: UnitOfWork, room: MailRoom, event_id: str, data: AdvanceChanged) -> None:
    amount = to_cents(data.amount)
    # Worth naming only when the customer's amount is not the one we would suggest.
    recommended = data.recommended_amount
    if recommended is not None and to_cents(recommended) == amount:
        recommended = None
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "changed_by": data.changed_by,
            "amount": format_money(amount, to.language) if amount else None,  # None: no advance
            "previous_amount": _money_or_none(data.previous_amount, to.language),
            "recommended_amount": _money_or_none(recommended, to.language),
            "effective_from": format_date(data.effective_from, to.language),
            "link": billing_link(room.settings.public_url, data.contract_id),
        },
    )


def _money_or_none(amount: Money | None, language: Language) -> str | None:
    return None if amount is None else format_money(amount, language)
