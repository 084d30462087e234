"""Identity's event handlers. Handler names are part of the inbox key and the consumer group:
never rename one that ran."""

# No `from __future__ import annotations`: FastStream reads the handlers' annotations at runtime.

from identity.use_cases.read_models import record_customer
from portal_chassis.consumers import EventHandlers
from portal_chassis.uow import UnitOfWork
from portal_schemas import Envelope
from portal_schemas.contracts import CustomerRegistered

handlers = EventHandlers()


@handlers.on(CustomerRegistered, name="registration-facts")
async def keep_registration_facts(uow: UnitOfWork, event: Envelope, data: CustomerRegistered) -> None:
    await record_customer(uow, data, event.occurred_at)
