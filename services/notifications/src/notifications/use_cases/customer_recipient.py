"""Whom an email about a customer goes to, or the event parks until someone is known.

Contracts', metering's and billing's events name the customer, not an account: the customer's
account whose address was set most recently receives them (as invoices do). A customer without a portal
account yet gets the email once an account is activated for them: the lookup raises
``RecipientNotKnown`` before the use case writes anything, and the consumer parks the event
(use_cases/parking.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from notifications.db.repositories import CustomerContacts, Recipients
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.use_cases.addressees import recipient_addressee
from notifications.use_cases.parking import RecipientNotKnown, parked_too_long
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email, skip_email
from portal_chassis.uow import UnitOfWork


async def addressee_or_skip(
    uow: UnitOfWork, room: MailRoom, *, event_id: str, kind: EmailKind, customer_number: str
) -> Addressee | None:
    """The customer's address, language, name and zone, filed under the customer. None once a
    skip is recorded instead (an event parked for longer than the window, handled again now).

    Raises ``RecipientNotKnown`` when no account is known for the customer.
    """
    recipients = Recipients(uow.session)
    recipient = await recipients.for_customer(customer_number)
    if recipient is None:
        # Looked up again under the customer's lock, which an activation takes too: either it
        # committed first and is seen now, or it waits for this event's parking and releases it.
        await CustomerContacts(uow.session).lock(customer_number)
        recipient = await recipients.for_customer(customer_number)
        if recipient is None:
            raise RecipientNotKnown(customer_number)
    to = await recipient_addressee(uow, room, recipient)
    if parked_too_long():
        await skip_email(
            uow,
            event_id=event_id,
            kind=kind,
            reason=SkipReason.PARKED_TOO_LONG,
            language=to.language,
            recipient=to.email,
            customer_number=customer_number,
            account_id=to.account_id,
        )
        return None
    return to


async def queue_customer_email(
    uow: UnitOfWork,
    room: MailRoom,
    *,
    event_id: str,
    kind: EmailKind,
    customer_number: str,
    values: Callable[[Addressee], Mapping[str, Any]],
) -> None:
    """One email to the customer, its ``values`` written for them (language, time zone)."""
    to = await addressee_or_skip(uow, room, event_id=event_id, kind=kind, customer_number=customer_number)
    if to is not None:
        await queue_email(uow, room, event_id=event_id, kind=kind, to=to, values=values(to))
