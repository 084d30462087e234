"""Whom an email about a customer's contract goes to, or a recorded skip when nobody is known.

Contracts' events name the customer, not an account: the customer's most recently registered
account receives them (as invoices do). A customer without a portal account yet gets no email;
the skipped delivery says so, and a later replay would not send it either.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from notifications.db.repositories import Recipients
from notifications.domain.delivery import EmailKind, SkipReason
from notifications.domain.locale import DEFAULT_LANGUAGE, pick_language
from notifications.use_cases.queue_email import Addressee, MailRoom, queue_email, skip_email
from portal_chassis.uow import UnitOfWork
from portal_schemas.types import Language


async def addressee_or_skip(
    uow: UnitOfWork, *, event_id: str, kind: EmailKind, customer_number: str
) -> Addressee | None:
    """The customer's address and language, filed under the customer; None once the skip is
    recorded."""
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
        return None
    return Addressee(recipient.email, pick_language(recipient.language), customer_number)


async def queue_customer_email(
    uow: UnitOfWork,
    room: MailRoom,
    *,
    event_id: str,
    kind: EmailKind,
    customer_number: str,
    values: Callable[[Language], Mapping[str, Any]],
) -> None:
    """One email to the customer, its ``values`` written in their language; or the skip."""
    to = await addressee_or_skip(uow, event_id=event_id, kind=kind, customer_number=customer_number)
    if to is not None:
        await queue_email(uow, room, event_id=event_id, kind=kind, to=to, values=values(to.language))
