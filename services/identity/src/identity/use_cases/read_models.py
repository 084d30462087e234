"""Identity's copy of the customer facts that decide who may register, fed by contracts.

CustomerRegistered is a full snapshot: the newest one (by ``occurred_at``) replaces the row and
an older one arriving late changes nothing. The chassis inbox drops a redelivered event; the
same snapshot sent again under a new event id writes the same row.
"""

from __future__ import annotations

from datetime import datetime

from identity.db.repositories import RegistrationFactsRepository
from identity.db.tables import RegistrationFacts
from identity.domain.registration import join_postcodes
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import CustomerRegistered


async def record_customer(uow: UnitOfWork, data: CustomerRegistered, occurred_at: datetime) -> bool:
    """Returns whether the row changed (False for a snapshot older than the stored one)."""
    repository = RegistrationFactsRepository(uow.session)
    postcodes = join_postcodes([*data.supply_postcodes, data.billing_postcode])
    facts = await repository.get(data.customer_number)
    if facts is None:
        repository.add(
            RegistrationFacts(
                customer_number=data.customer_number,
                segment=data.segment,
                language=data.language,
                postcodes=postcodes,
                as_of=occurred_at,
            )
        )
        return True
    if occurred_at < facts.as_of:
        return False
    facts.segment = data.segment
    facts.language = data.language
    facts.postcodes = postcodes
    facts.as_of = occurred_at
    return True
