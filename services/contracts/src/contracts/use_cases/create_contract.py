"""Concluding a contract (operations CLI for now; the sales flows build on it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from contracts.db.repositories import ContractEvents, Contracts, Customers
from contracts.db.tables import Contract, Customer
from contracts.domain.contract import check_new_terms
from contracts.domain.errors import InvalidContractTerms
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import Commodity, ContractCreated
from portal_schemas.types import Language


@dataclass(frozen=True)
class NewCustomer:
    """Used only when the customer number is new; an existing customer is left as is."""

    customer_number: str
    name: str
    language: Language = "nl"
    segment: str = "private"


async def create_contract(
    uow: UnitOfWork,
    *,
    customer: NewCustomer,
    commodity: Commodity,
    product_code: str,
    start_date: date,
    fixed_term_end: date | None,
    concluded_on: date,
    now: datetime,
) -> Contract:
    check_new_terms(
        customer_number=customer.customer_number,
        product_code=product_code,
        start_date=start_date,
        fixed_term_end=fixed_term_end,
        concluded_on=concluded_on,
    )
    if not customer.name.strip() or len(customer.name) > 200:
        raise InvalidContractTerms("A customer's name has 1 to 200 characters.", field="name")
    customers = Customers(uow.session)
    if await customers.get(customer.customer_number) is None:
        customers.add(
            Customer(
                customer_number=customer.customer_number,
                name=customer.name,
                language=customer.language,
                segment=customer.segment,
                created_at=now,
            )
        )
    contract = Contract(
        id=str(uuid.uuid4()),
        customer_number=customer.customer_number,
        commodity=commodity,
        product_code=product_code,
        start_date=start_date,
        fixed_term_end=fixed_term_end,
        concluded_on=concluded_on,
        status="active",
        created_at=now,
    )
    Contracts(uow.session).add(contract)
    ContractEvents(uow.session).record(
        contract.id, "created", now, product_code=product_code, start_date=start_date.isoformat()
    )
    uow.emit(
        ContractCreated(
            contract_id=contract.id,
            customer_number=customer.customer_number,
            commodity=commodity,
            product_code=product_code,
            start_date=start_date,
        ),
        subject=contract.id,
    )
    await uow.commit()
    return contract
