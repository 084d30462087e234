"""PaymentReminderDue and PaymentReturned → the customer hears that money is still owed: an
overdue invoice (a reminder, firmer from the second step on) or a direct debit their bank sent
back (please pay by transfer or card instead). PaymentReceived → a receipt for money the
customer sent us themselves (card, transfer, energy cheque), with the credit left over.

A direct debit collected sends nothing: the customer agreed to those monthly debits and the
portal shows them; a mail for each would bury the ones that ask the customer to act. InvoicePaid
sends nothing either: the receipt (or the portal) already tells it.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import invoice_link, invoices_link
from notifications.domain.locale import format_date, format_money
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import PaymentReceived, PaymentReminderDue, PaymentReturned

REMINDER = EmailKind.PAYMENT_REMINDER
RETURNED = EmailKind.PAYMENT_RETURNED
RECEIVED = EmailKind.PAYMENT_RECEIVED

# The channels a receipt is mailed for: money the customer chose to send. Direct debits are not
# among them (see above).
RECEIPT_CHANNELS = frozenset({"card", "transfer", "energy_cheque"})

# ISO 20022 return reasons the templates explain in words; any other code gets the general text.
EXPLAINED_RETURN_REASONS = frozenset({"AC04", "AM04", "MD06", "MS02"})


async def queue_payment_reminder(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PaymentReminderDue
) -> None:
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=REMINDER,
        customer_number=data.customer_number,
        values=lambda to: {
            "step": data.step,  # 1: a friendly reminder; 2 and later: firmer
            "invoice_number": data.invoice_number,
            "open_amount": format_money(data.open_amount, to.language),
            "due_date": format_date(data.due_date, to.language),
            "pay_by": format_date(data.pay_by, to.language),
            "link": invoice_link(room.settings.public_url, data.invoice_id),
        },
    )


async def queue_payment_returned_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PaymentReturned
) -> None:
    reason = data.reason_code.upper()
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=RETURNED,
        customer_number=data.customer_number,
        values=lambda to: {
            "amount": format_money(data.amount, to.language),
            "returned_on": format_date(calendar_day(data.returned_at, room.zone(to)), to.language),
            "reason": reason if reason in EXPLAINED_RETURN_REASONS else None,
            "link": invoices_link(room.settings.public_url),
        },
    )


async def queue_payment_received_email(
    uow: UnitOfWork, room: MailRoom, event_id: str, data: PaymentReceived
) -> None:
    if data.channel not in RECEIPT_CHANNELS:
        return  # a direct debit collection: no email, no delivery row
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=RECEIVED,
        customer_number=data.customer_number,
        values=lambda to: {
            "amount": format_money(data.amount, to.language),
            "received_on": format_date(calendar_day(data.received_at, room.zone(to)), to.language),
            "channel": data.channel,
            # What is left after settling every open invoice stays as credit.
            "credit": format_money(data.unallocated, to.language) if data.unallocated > 0 else None,
            "link": invoices_link(room.settings.public_url),
        },
    )
