"""Whom an email about a customer's contract goes to, or a recorded skip when nobody is known.

Contracts' events name the customer, not an account: the customer's most recently registered
account receives them (as invoices do). A customer without a portal account yet gets no email;
the skipped delivery says so, and a later replay would not send it either.
"""

from __future__ import annotations

from notifications.db.repositories import Recipients
from notifications.db.tables import Recipient
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.locale import DEFAULT_LANGUAGE
from notifications.use_cases.queue_email import skip_email
from portal_chassis.uow import UnitOfWork


async def recipient_or_skip(
    uow: UnitOfWork, *, event_id: str, kind: EmailKind, customer_number: str
) -> Recipient | None:
    recipient = await Recipients(uow.session).for_customer(customer_number)
    if recipient is None:
        await skip_email(
            uow,
            event_id=event_id,
            kind=kind,
            reason=SkipReason.NO_RECIPIENT,
            language=DEFAULT_LANGUAGE,
            customer_number=customer_number,
        )
    return recipient
