"""The customer's document mailbox: what goes on each document, filing it, reading it back.

Documents are filed in the transaction that gives rise to them and each one is announced
with DocumentAvailable (ids, kind and title; never the PDF), so notifications can tell the
customer:

- a concluded contract (operations' create-contract, a confirmed portal request): the
  contract confirmation, the tariff sheet of its product and the technical information card;
- a tariff switch: a new tariff sheet with the new product's prices from the switch day.

Prices are the catalogue's for the day the document is about: the confirmation shows those
of the day the contract is concluded, a tariff sheet those of the day the prices apply from.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select

from contracts.db.repositories import Catalogue, Customers
from contracts.db.tables import Contract, Customer, Document
from contracts.domain.catalogue import REGISTERS, UNITS
from contracts.domain.documents import (
    Confirmation,
    Content,
    Heading,
    PriceLine,
    Prices,
    TariffSheet,
    TechnicalCard,
    filename,
    kind_of,
    render,
    title,
)
from contracts.domain.withdrawal import last_withdrawal_day
from contracts.use_cases.tariffs import tariff_on
from portal_chassis.pagination import PageParams
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import DocumentAvailable


async def prices_on(uow: UnitOfWork, product_code: str, commodity: str, on: date) -> Prices | None:
    """The product's prices for the commodity on a day, excl. and incl. VAT; None if unpriced."""
    tariff = await tariff_on(uow, product_code=product_code, commodity=commodity, on=on)
    if tariff is None:
        return None
    lines = tuple(
        PriceLine(register, UNITS[register], price, tariff.incl_vat(price))
        for register in REGISTERS[commodity]
        if (price := tariff.unit_prices.get(register)) is not None
    )
    return Prices(
        on=on,
        vat_rate=tariff.vat_rate,
        lines=lines,
        fixed_costs_per_day_excl_vat=tariff.fixed_costs_per_day,
        fixed_costs_per_day_incl_vat=tariff.incl_vat(tariff.fixed_costs_per_day),
    )


async def heading_of(uow: UnitOfWork, contract: Contract, customer: Customer, product_code: str) -> Heading:
    product = await Catalogue(uow.session).product(product_code)
    return Heading(
        language=customer.language,
        customer_name=customer.name,
        customer_number=customer.customer_number,
        contract_number=contract.contract_number,
        commodity=contract.commodity,
        product_name=product_code if product is None else product.name,
    )


async def confirmation_of(
    uow: UnitOfWork, contract: Contract, customer: Customer, *, withdrawal_days: int
) -> Confirmation:
    return Confirmation(
        heading=await heading_of(uow, contract, customer, contract.product_code),
        concluded_on=contract.concluded_on,
        start_date=contract.start_date,
        price_guarantee_end=contract.fixed_term_end,
        withdrawal_days=withdrawal_days,
        withdrawal_last_day=last_withdrawal_day(contract.concluded_on, withdrawal_days),
        prices=await prices_on(uow, contract.product_code, contract.commodity, contract.concluded_on),
    )


async def tariff_sheet_of(
    uow: UnitOfWork, contract: Contract, customer: Customer, *, product_code: str, prices_from: date
) -> TariffSheet:
    return TariffSheet(
        heading=await heading_of(uow, contract, customer, product_code),
        prices_from=prices_from,
        prices=await prices_on(uow, product_code, contract.commodity, prices_from),
    )


async def technical_card_of(uow: UnitOfWork, contract: Contract, customer: Customer) -> TechnicalCard:
    street = " ".join(
        str(part)
        for part in (
            contract.supply_street,
            contract.supply_house_number,
            contract.supply_house_number_addition,
        )
        if part is not None
    )
    postcode = f"{contract.supply_postcode[:4]} {contract.supply_postcode[4:]}"
    place = " ".join(p for p in (postcode, contract.supply_city) if p)
    return TechnicalCard(
        heading=await heading_of(uow, contract, customer, contract.product_code),
        ean=contract.ean,
        capacity=contract.capacity,
        meter_location=contract.meter_location,
        supply_address=tuple(line for line in (street, place) if line),
    )


async def file_contract_documents(
    uow: UnitOfWork, contract: Contract, customer: Customer, *, withdrawal_days: int, now: datetime
) -> list[Document]:
    """The documents of a contract just concluded; the caller commits."""
    contents: list[Content] = [
        await confirmation_of(uow, contract, customer, withdrawal_days=withdrawal_days),
        await tariff_sheet_of(
            uow, contract, customer, product_code=contract.product_code, prices_from=contract.concluded_on
        ),
        await technical_card_of(uow, contract, customer),
    ]
    return [_file(uow, contract, content, now) for content in contents]


async def file_tariff_sheet(
    uow: UnitOfWork, contract: Contract, *, product_code: str, prices_from: date, now: datetime
) -> Document:
    """A new tariff sheet after a tariff switch; the caller commits."""
    customer = await Customers(uow.session).get(contract.customer_number)
    if customer is None:  # the foreign key makes this impossible
        raise LookupError("contract without customer")
    content = await tariff_sheet_of(
        uow, contract, customer, product_code=product_code, prices_from=prices_from
    )
    return _file(uow, contract, content, now)


def _file(uow: UnitOfWork, contract: Contract, content: Content, now: datetime) -> Document:
    pdf = render(content, created_at=now)
    kind = kind_of(content)
    document = Document(
        id=str(uuid.uuid4()),
        customer_number=contract.customer_number,
        contract_id=contract.id,
        kind=kind,
        title=title(content)[:200],
        filename=filename(kind, contract.contract_number, now.date()),
        content_sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
        content=pdf,
        created_at=now,
    )
    uow.session.add(document)
    uow.emit(
        DocumentAvailable(
            customer_number=document.customer_number,
            contract_id=document.contract_id,
            document_id=document.id,
            kind=kind,
            title=document.title,
        ),
        subject=document.customer_number,
    )
    return document


async def list_documents(
    uow: UnitOfWork, customer_number: str, page: PageParams
) -> tuple[Sequence[Document], int]:
    """The customer's documents, newest first."""
    mine = Document.customer_number == customer_number
    total = await uow.session.scalar(select(func.count()).select_from(Document).where(mine))
    rows = await uow.session.scalars(
        select(Document)
        .where(mine)
        .order_by(Document.created_at.desc(), Document.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return rows.all(), int(total or 0)


async def own_document(uow: UnitOfWork, customer_number: str, document_id: str) -> Document:
    """One of the customer's documents; someone else's is as absent as a missing one."""
    document = await uow.session.scalar(
        select(Document).where(Document.id == document_id, Document.customer_number == customer_number)
    )
    if document is None:
        raise ProblemError(404, "document-not-found", "There is no such document.")
    return document


async def document_pdf(uow: UnitOfWork, customer_number: str, document_id: str) -> tuple[Document, bytes]:
    document = await own_document(uow, customer_number, document_id)
    content = await uow.session.scalar(select(Document.content).where(Document.id == document.id))
    return document, content or b""
