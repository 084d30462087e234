"""New contracts requested through the portal, and their start of supply.

A request is checked in full (commodity, product code, EAN, capacity within the small-consumer
limits, supply address, start date) before anything is written. An accepted request is stored
with status ``requested``: nothing is concluded yet, nothing is announced or filed.

Processing confirms it (``confirm_requests``, the daily job, or operations by hand): the
confirmation is the written confirmation, so the contract is concluded that day
(``concluded_on``, which starts the 14-day withdrawal period), ``ContractCreated`` is emitted
and the documents are filed. A request the supplier can no longer honour (``refusal_of``) is
``refused`` with a reason and ``ContractRequestRefused``. ``activate_due_contracts`` makes a
confirmed contract ``active`` on its start date. The history (requested, confirmed, refused,
activated, withdrawn, ...) is the contract's event log.

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

from contracts.db.repositories import Catalogue, ContractEvents, ContractNumbers, Contracts, Terms
from contracts.db.tables import Contract, ContractEvent, ContractRequest, Product
from contracts.domain.address import Address
from contracts.domain.connection import normalise_capacity, normalise_ean
from contracts.domain.contract import check_new_terms
from contracts.domain.errors import ContractNotActive, InvalidConnection, InvalidContractTerms
from contracts.domain.start_date import add_months, start_date
from contracts.settings import ContractsSettings
from contracts.use_cases.announcements import announce_registration, registration_of
from contracts.use_cases.create_contract import announce_created
from contracts.use_cases.customer_details import own_customer
from contracts.use_cases.documents import file_contract_documents
from portal_chassis.pagination import PageParams
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractRequestRefused


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
    # Locked: two requests of one customer for the same connection queue up here.
    await own_customer(uow, customer_number, lock=True)
    if await Contracts(uow.session).holds_connection(ean, new.commodity):
        raise ContractNotActive(
            "This connection already has a current contract with us; change its tariff instead.",
        )
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
        concluded_on=today,  # replaced by the confirmation day
        status="requested",
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
    await uow.commit()
    return RequestView(request, contract, await history.of_contract(contract.id))


async def refusal_of(uow: UnitOfWork, contract: Contract, *, today: date, lead_days: int) -> str | None:
    """Why the supplier can no longer confirm the request, or None. Checked at confirmation: the
    product is still on sale for the commodity (while a catalogue is loaded) and supply starts
    at least ``lead_days`` after today."""
    catalogue = Catalogue(uow.session)
    code, commodity = contract.product_code, contract.commodity
    if not await catalogue.is_empty() and await _on_sale(catalogue, code, commodity) is None:
        return f"Product {code} is no longer offered for {commodity}."
    if contract.start_date < today + timedelta(days=lead_days):
        return (
            f"Supply was to start on {contract.start_date.isoformat()}, less than {lead_days} days "
            "away; please request again with a later start date."
        )
    return None


async def confirm_request(
    uow: UnitOfWork,
    contract: Contract,
    *,
    today: date,
    now: datetime,
    withdrawal_days: int,
    operator: str | None = None,
) -> None:
    """The written confirmation: the contract is concluded today, announced and filed."""
    customer = await own_customer(uow, contract.customer_number, lock=True)
    before = await registration_of(uow, customer)
    contract.status = "confirmed"
    contract.concluded_on = today
    by = {} if operator is None else {"operator": operator}
    ContractEvents(uow.session).record(
        contract.id, "confirmed", now, contract_number=contract.contract_number, **by
    )
    await uow.session.flush()
    announce_registration(uow, await registration_of(uow, customer), before, customer.customer_number)
    announce_created(uow, contract, (await Terms(uow.session).consumption([contract.id]))[contract.id])
    # This confirmation is the written one: it goes into the mailbox with the other documents.
    await file_contract_documents(uow, contract, customer, withdrawal_days=withdrawal_days, now=now)


async def refuse_request(
    uow: UnitOfWork,
    request: ContractRequest,
    contract: Contract,
    reason: str,
    *,
    now: datetime,
    operator: str | None = None,
) -> None:
    """Never concluded: the contract stays ``refused`` and frees its connection."""
    contract.status = "refused"
    request.refusal_reason = reason
    by = {} if operator is None else {"operator": operator}
    ContractEvents(uow.session).record(contract.id, "refused", now, reason=reason, **by)
    uow.emit(
        ContractRequestRefused(
            request_id=request.id,
            contract_id=contract.id,
            customer_number=contract.customer_number,
            commodity=contract.commodity,  # electricity or gas: checked on request
            product_code=contract.product_code,
            reason=reason,
        ),
        subject=contract.id,
    )


async def confirm_requests(
    uow: UnitOfWork, settings: ContractsSettings, *, today: date, now: datetime
) -> tuple[int, int]:
    """Confirms every pending request that passes ``refusal_of`` and refuses the others; returns
    (confirmed, refused). Running it again finds nothing pending (a request handled at the same
    moment by operations makes one of the two writers fail on the contract's version)."""
    pending = (
        await uow.session.execute(
            select(ContractRequest, Contract)
            .join(Contract, Contract.id == ContractRequest.contract_id)
            .where(Contract.status == "requested")
            .order_by(ContractRequest.created_at, ContractRequest.id)
        )
    ).all()
    confirmed = refused = 0
    for request, contract in pending:
        reason = await refusal_of(uow, contract, today=today, lead_days=settings.confirmation_lead_days)
        if reason is None:
            await confirm_request(
                uow, contract, today=today, now=now, withdrawal_days=settings.withdrawal_days
            )
            confirmed += 1
        else:
            await refuse_request(uow, request, contract, reason, now=now)
            refused += 1
    await uow.commit()
    return confirmed, refused


async def pending_request(uow: UnitOfWork, request_id: str) -> tuple[ContractRequest, Contract]:
    """A request operations may still decide on; 404 unknown, 409 already decided."""
    row = (
        await uow.session.execute(
            select(ContractRequest, Contract)
            .join(Contract, Contract.id == ContractRequest.contract_id)
            .where(ContractRequest.id == request_id)
            .with_for_update(of=Contract)
        )
    ).first()
    if row is None:
        raise ProblemError(404, "contract-request-not-found", "No contract request with this id.")
    request, contract = row
    if contract.status != "requested":
        raise ProblemError(
            409,
            "contract-request-decided",
            f"This request has already been handled; the contract is {contract.status}.",
            contract_status=contract.status,
        )
    return request, contract


async def confirm_by_operator(
    uow: UnitOfWork, request_id: str, operator: str, *, today: date, now: datetime, withdrawal_days: int
) -> RequestView:
    """Operations confirm a request by hand (e.g. after checking with the grid operator); the
    automatic checks are theirs to weigh."""
    request, contract = await pending_request(uow, request_id)
    if contract.start_date < today:  # a contract is concluded on or before its start date
        raise ProblemError(
            409,
            "start-date-passed",
            f"Supply was to start on {contract.start_date.isoformat()}; refuse the request instead.",
        )
    await confirm_request(
        uow, contract, today=today, now=now, withdrawal_days=withdrawal_days, operator=operator
    )
    await uow.commit()
    return RequestView(request, contract, await ContractEvents(uow.session).of_contract(contract.id))


async def refuse_by_operator(
    uow: UnitOfWork, request_id: str, operator: str, reason: str, *, now: datetime
) -> RequestView:
    request, contract = await pending_request(uow, request_id)
    await refuse_request(uow, request, contract, reason, now=now, operator=operator)
    await uow.commit()
    return RequestView(request, contract, await ContractEvents(uow.session).of_contract(contract.id))


async def _fixed_term_end(uow: UnitOfWork, product_code: str, commodity: str, starts: date) -> date | None:
    """The last day of the product's fixed term from ``starts``; None for an indefinite one."""
    catalogue = Catalogue(uow.session)
    if await catalogue.is_empty():
        return None  # no catalogue loaded: the code cannot be checked
    product = await _on_sale(catalogue, product_code, commodity)
    if product is None:
        raise InvalidContractTerms(
            f"No product with this code supplies {commodity} at the moment; see the product overview.",
            field="product_code",
        )
    if product.term_months is None:
        return None
    return add_months(starts, product.term_months) - timedelta(days=1)


async def _on_sale(catalogue: Catalogue, product_code: str, commodity: str) -> Product | None:
    """The product if it is on sale and supplies the commodity."""
    product = await catalogue.product(product_code)
    if product is None or not product.on_sale or commodity not in product.commodities:
        return None
    return product


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
