"""PaymentReminderDue and PaymentReturned → the customer hears that money is still owed: an
overdue invoice (a reminder, firmer from the second step on) or a direct debit their bank sent
back (please pay by transfer or card instead).

PaymentReceived and InvoicePaid send nothing: the portal shows payments and paid invoices, and a
mail for every monthly direct debit would bury the ones that ask the customer to act.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import invoice_link, invoices_link
from notifications.domain.locale import format_date, format_money
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import PaymentReminderDue, PaymentReturned

REMINDER = EmailKind.PAYMENT_REMINDER
RETURNED = EmailKind.PAYMENT_RETURNED

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
        values=lambda language: {
            "step": data.step,  # 1: a friendly reminder; 2 and later: firmer
            "invoice_number": data.invoice_number,
            "open_amount": format_money(data.open_amount, language),
            "due_date": format_date(data.due_date, language),
            "pay_by": format_date(data.pay_by, language),
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
        values=lambda language: {
            "amount": format_money(data.amount, language),
            "returned_on": format_date(calendar_day(data.returned_at, room.settings.zone), language),
            "reason": reason if reason in EXPLAINED_RETURN_REASONS else None,
            "link": invoices_link(room.settings.public_url),
        },
    )
