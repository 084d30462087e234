"""InvoiceIssued → "a new document is in your mailbox", with number, amount and due date."""

from __future__ import annotations

from notifications.domain.delivery import EmailKind
from notifications.domain.links import invoice_link
from notifications.domain.locale import format_date, format_money
from notifications.use_cases.customer_recipient import addressee_or_skip
from notifications.use_cases.queue_email import MailRoom, queue_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import InvoiceIssued

KIND = EmailKind.INVOICE_ISSUED


async def queue_invoice_email(uow: UnitOfWork, room: MailRoom, event_id: str, data: InvoiceIssued) -> None:
    to = await addressee_or_skip(uow, event_id=event_id, kind=KIND, customer_number=data.customer_number)
    if to is None:
        return
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=to,
        values={
            "kind": data.kind,
            "invoice_number": data.invoice_number,
            "total": format_money(data.total_incl_vat, to.language),
            "due_date": format_date(data.due_date, to.language),
            "link": invoice_link(room.settings.public_url, data.invoice_id),
        },
    )
