"""InvoiceIssued → "a new document is in your mailbox", with number, amount and due date."""

from __future__ import annotations

from notifications.db.repositories import Recipients
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.links import invoice_link
from notifications.domain.locale import DEFAULT_LANGUAGE, format_date, format_money, pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email, skip_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import InvoiceIssued

KIND = EmailKind.INVOICE_ISSUED


async def queue_invoice_email(uow: UnitOfWork, room: MailRoom, event_id: str, data: InvoiceIssued) -> None:
    recipient = await Recipients(uow.session).for_customer(data.customer_number)
    if recipient is None:
        await skip_email(
            uow,
            event_id=event_id,
            kind=KIND,
            reason=SkipReason.NO_RECIPIENT,
            language=DEFAULT_LANGUAGE,
            customer_number=data.customer_number,
        )
        return
    language = pick_language(recipient.language)
    await queue_email(
        uow,
        room,
        event_id=event_id,
        kind=KIND,
        to=Addressee(recipient.email, language, data.customer_number),
        values={
            "kind": data.kind,
            "invoice_number": data.invoice_number,
            "total": format_money(data.total_incl_vat, language),
            "due_date": format_date(data.due_date, language),
            "link": invoice_link(room.settings.public_url, data.invoice_id),
        },
    )
