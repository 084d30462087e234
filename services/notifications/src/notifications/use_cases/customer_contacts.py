"""What contracts tells notifications about a customer: the name to greet them by
(CustomerDetailsChanged). Their language is the account's (identity's events).

The name stays sealed as it travels (Fernet, the event sealing key) and is opened only to
render an email (use_cases/addressees.py). It remembers when the event that set it happened:
an older event never overwrites a newer name, whatever order the topic delivers them in.
"""

from __future__ import annotations

from datetime import datetime

from notifications.db.repositories import CustomerContacts
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import CustomerDetailsChanged


async def keep_customer_name(uow: UnitOfWork, data: CustomerDetailsChanged, as_of: datetime) -> None:
    if data.sealed_name is None:
        return  # written before the name travelled: says nothing about it
    contact = await CustomerContacts(uow.session).lock(data.customer_number)
    if contact.name_updated_at is not None and contact.name_updated_at > as_of:
        return
    contact.sealed_name = data.sealed_name
    contact.name_updated_at = as_of
