"""New contracts requested through the portal, and their start of supply.

A request is checked in full (commodity, product code, EAN, capacity within the small-consumer
limits, supply address, start date) before anything is written. An accepted request is
confirmed at once: the confirmation the customer receives is the written confirmation, so the
contract is concluded that day (``concluded_on``, which starts the 14-day withdrawal period)
with status ``confirmed``; ``activate_due_contracts`` makes it ``active`` on its start date.
The history (requested, confirmed, activated, withdrawn, ...) is the contract's event log.

Product codes are checked against the product catalogue (table ``products``): the product
must exist, be on sale and supply the commodity; a fixed product's term (``term_months``) sets
the contract's fixed-term end. While no catalogue is loaded (an empty table), any well-formed
code is accepted and the contract is indefinite.

Business customers may request contracts too: the conditions apply to small consumers
(households and small businesses) and the connection limits keep out large consumers.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from contracts.db.repositories import ContractEvents, ContractNumbers, Contracts
from contracts.db.tables import Contract, ContractEvent, ContractRequest, Product
from contracts.domain.address import Address
from contracts.domain.connection import normalise_capacity, normalise_ean
from contracts.domain.contract import check_new_terms
from contracts.domain.errors import ContractNotActive, InvalidConnection, InvalidContractTerms
from contracts.domain.start_date import add_months, start_date
from contracts.use_cases.announcements import announce_registration, registration_of
from contracts.use_cases.customer_details import own_customer
from contracts.use_cases.documents import file_contract_documents
from portal_chassis.pagination import PageParams
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractCreated

LIVE = ("confirmed", "active", "terminating")


@dataclass(frozen=True)
class NewRequest:
    commodity: str
    product_code: str
    ean: str
    capacity: str
    supply_address: Address
    desired_start_date: date | None = None
    current_contract_end: date | None = None


@dataclass(frozen=True)
class RequestView:
    request: ContractRequest
    contract: Contract
    history: Sequence[ContractEvent]


async def request_contract(
    uow: UnitOfWork,
    customer_number: str,
    new: NewRequest,
    *,
    today: date,
    now: datetime,
    withdrawal_days: int = 14,
) -> RequestView:
    if new.commodity not in ("electricity", "gas"):
        raise InvalidConnection("Electricity and gas contracts can be requested here.", field="commodity")
    ean = normalise_ean(new.ean)
    capacity = normalise_capacity(new.commodity, new.capacity)
    starts = start_date(today, desired=new.desired_start_date, current_contract_end=new.current_contract_end)
    check_new_terms(
        customer_number=customer_number,
        product_code=new.product_code,
        start_date=starts,
        fixed_term_end=None,
        concluded_on=today,
    )
    fixed_term_end = await _fixed_term_end(uow, new.product_code, new.commodity, starts)
    customer = await own_customer(uow, customer_number, lock=True)
    taken = await uow.session.scalar(
        select(Contract.id).where(
            Contract.ean == ean, Contract.commodity == new.commodity, Contract.status.in_(LIVE)
        )
    )
    if taken is not None:
        raise ContractNotActive(
            "This connection already has a current contract with us; change its tariff instead.",
        )
    before = await registration_of(uow, customer)

    address = new.supply_address
    contract = Contract(
        id=str(uuid.uuid4()),
        contract_number=await ContractNumbers(uow.session).next(),
        customer_number=customer_number,
        supply_postcode=address.postcode,
        supply_street=address.street,
        supply_house_number=address.house_number,
        supply_house_number_addition=address.house_number_addition,
        supply_city=address.city,
        ean=ean,
        capacity=capacity,
        commodity=new.commodity,
        product_code=new.product_code,
        start_date=starts,
        fixed_term_end=fixed_term_end,
        concluded_on=today,
        status="confirmed",
        created_at=now,
    )
    Contracts(uow.session).add(contract)
    request = ContractRequest(
        id=str(uuid.uuid4()),
        customer_number=customer_number,
        contract_id=contract.id,
        requested_on=today,
        desired_start_date=new.desired_start_date,
        current_contract_end=new.current_contract_end,
        created_at=now,
    )
    uow.session.add(request)
    history = ContractEvents(uow.session)
    history.record(
        contract.id, "requested", now, product_code=new.product_code, start_date=starts.isoformat()
    )
    history.record(contract.id, "confirmed", now, contract_number=contract.contract_number)
    await uow.session.flush()
    announce_registration(uow, await registration_of(uow, customer), before, customer_number)
    uow.emit(
        ContractCreated(
            contract_id=contract.id,
            contract_number=contract.contract_number,
            customer_number=customer_number,
            commodity=new.commodity,  # checked above
            product_code=new.product_code,
            start_date=starts,
            ean=ean,
            supply_postcode=address.postcode,
        ),
        subject=contract.id,
    )
    # This confirmation is the written one: it goes into the mailbox with the other documents.
    await file_contract_documents(uow, contract, customer, withdrawal_days=withdrawal_days, now=now)
    await uow.commit()
    return RequestView(request, contract, await history.of_contract(contract.id))


async def _fixed_term_end(uow: UnitOfWork, product_code: str, commodity: str, starts: date) -> date | None:
    """The last day of the product's fixed term from ``starts``; None for an indefinite one."""
    if not await uow.session.scalar(select(func.count()).select_from(Product)):
        return None  # no catalogue loaded: the code cannot be checked
    product = await uow.session.get(Product, product_code)
    if product is None or not product.on_sale or commodity not in product.commodities:
        raise InvalidContractTerms(
            f"No product with this code supplies {commodity} at the moment; see the product overview.",
            field="product_code",
        )
    if product.term_months is None:
        return None
    return add_months(starts, product.term_months) - timedelta(days=1)


async def list_requests(
    uow: UnitOfWork, customer_number: str, page: PageParams
) -> tuple[list[RequestView], int]:
    mine = ContractRequest.customer_number == customer_number
    total = await uow.session.scalar(select(func.count()).select_from(ContractRequest).where(mine))
    rows = (
        await uow.session.execute(
            select(ContractRequest, Contract)
            .join(Contract, Contract.id == ContractRequest.contract_id)
            .where(mine)
            .order_by(ContractRequest.created_at.desc(), ContractRequest.id)
            .limit(page.limit)
            .offset(page.offset)
        )
    ).all()
    history = ContractEvents(uow.session)
    views = [RequestView(r, c, await history.of_contract(c.id)) for r, c in rows]
    return views, int(total or 0)


async def activate_due_contracts(uow: UnitOfWork, *, today: date, now: datetime) -> int:
    """Confirmed contracts whose start date has come become active; run daily. Running it again
    (or twice at once: the version check makes the second writer fail) changes nothing more."""
    due = (
        await uow.session.scalars(
            select(Contract).where(Contract.status == "confirmed", Contract.start_date <= today)
        )
    ).all()
    history = ContractEvents(uow.session)
    for contract in due:
        contract.status = "active"
        history.record(contract.id, "activated", now, start_date=contract.start_date.isoformat())
    await uow.commit()
    return len(due)
