"""InvoiceIssued → "a new document is in your mailbox", with number, amount and due date.

A negative total is money back to the customer: no due date then. A credit note links to the
invoice it corrects; an invoice on partly estimated consumption says so, and that a reading
corrects it.
"""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import invoice_link
from notifications.domain.locale import format_date, format_money
from notifications.use_cases.customer_recipient import queue_customer_email
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import InvoiceIssued

KIND = EmailKind.INVOICE_ISSUED


async def queue_invoice_email(uow: UnitOfWork, room: MailRoom, event_id: str, data: InvoiceIssued) -> None:
    public_url = room.settings.public_url
    await queue_customer_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        customer_number=data.customer_number,
        values=lambda to: {
            "kind": data.kind,
            "invoice_number": data.invoice_number,
            "total": format_money(data.total_incl_vat, to.language),
            "refund": data.total_incl_vat < 0,
            "due_date": format_date(data.due_date, to.language),
            "link": invoice_link(public_url, data.invoice_id),
            # The event names the credited invoice by id only: linked, not numbered.
            "credited_link": (
                None if data.credits_invoice_id is None else invoice_link(public_url, data.credits_invoice_id)
            ),
            "estimated": data.estimated,
        },
    )
