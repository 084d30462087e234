"""Co-holders: operations add a spouse or partner as second holder of a contract (on request,
with proof of the relationship, checked by a person). Their portal access is identity's
business (ContractLinked); contracts only records who they are."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select

from contracts.db.repositories import ContractEvents
from contracts.db.tables import CoHolder
from contracts.domain.contact import InvalidContact, normalise_email, normalise_phone
from contracts.domain.errors import ContractNotActive
from contracts.use_cases.contract_lookups import any_contract
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import CoHolderAdded

CURRENT = ("confirmed", "active", "terminating")


async def add_co_holder(
    uow: UnitOfWork,
    *,
    contract_id: str,
    name: str,
    email: str | None,
    phone: str | None,
    operator: str,
    now: datetime,
) -> CoHolder:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidContact("A name has 1 to 200 characters.", field="name")
    checked_email = None if email is None else normalise_email(email)
    checked_phone = None if phone is None else normalise_phone(phone)
    contract = await any_contract(uow, contract_id)
    if contract.status not in CURRENT:
        raise ContractNotActive(f"This contract is {contract.status}; co-holders are added to current ones.")
    holder = CoHolder(
        id=str(uuid.uuid4()),
        contract_id=contract.id,
        name=name,
        email=checked_email,
        phone=checked_phone,
        added_by=operator,
        added_at=now,
    )
    uow.session.add(holder)
    ContractEvents(uow.session).record(
        contract.id, "co_holder_added", now, co_holder_id=holder.id, by=operator
    )
    uow.emit(
        CoHolderAdded(
            contract_id=contract.id, customer_number=contract.customer_number, co_holder_id=holder.id
        ),
        subject=contract.id,
    )
    await uow.commit()
    return holder


async def co_holders_of(uow: UnitOfWork, contract_id: str) -> Sequence[CoHolder]:
    await any_contract(uow, contract_id)
    rows = await uow.session.scalars(
        select(CoHolder).where(CoHolder.contract_id == contract_id).order_by(CoHolder.added_at, CoHolder.id)
    )
    return rows.all()
