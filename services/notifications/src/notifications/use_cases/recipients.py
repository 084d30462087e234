"""The recipients read model: whom to write to for an account or a customer, and in which
language. Fed by identity's events; later events (email or language changed) update it."""

from __future__ import annotations

from datetime import datetime

from notifications.db.repositories import Recipients
from notifications.db.tables import Recipient
from portal_chassis.uow import UnitOfWork
from portal_schemas.identity import AccountActivated


async def keep_recipient(uow: UnitOfWork, data: AccountActivated, as_of: datetime) -> None:
    """Insert or refresh the account's address; an older event never overwrites a newer one."""
    recipients = Recipients(uow.session)
    known = await recipients.for_account(data.account_id)
    if known is None:
        recipients.add(
            Recipient(
                account_id=data.account_id,
                customer_number=data.customer_number,
                email=str(data.email),
                language=data.language,
                updated_at=as_of,
            )
        )
        return
    if known.updated_at > as_of:
        return
    known.customer_number = data.customer_number
    known.email = str(data.email)
    known.language = data.language
    known.updated_at = as_of
