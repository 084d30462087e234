"""Concluding a contract (operations CLI for now; the sales flows build on it).

In the same transaction as the contract: the customer is created or their registration data
updated, the contract gets the next contract number, and CustomerRegistered is emitted when
the customer is new or their registration data (segment, language, billing postcode, the
distinct supply postcodes of their contracts) differs from what it was before. A new customer
is also announced with CustomerDetailsChanged, so billing learns whom to address invoices to
(the name, sealed) and how they pay.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import get_args

from contracts.db.repositories import ContractEvents, ContractNumbers, Contracts, Customers
from contracts.db.tables import Contract, Customer, ExpectedConsumption
from contracts.domain.catalogue import REGISTERS
from contracts.domain.connection import normalise_ean
from contracts.domain.contract import check_new_terms
from contracts.domain.errors import ContractNotActive, InvalidContractTerms
from contracts.domain.postcode import normalise_postcode
from contracts.domain.terms import METER_LOCATIONS
from contracts.use_cases.announcements import Registration, announce_details, announce_registration
from contracts.use_cases.documents import file_contract_documents
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import Commodity, ContractCreated, Segment
from portal_schemas.types import Language

DEFAULT_LANGUAGE: Language = "nl"
DEFAULT_SEGMENT: Segment = "private"
# Far above any household or small business connection: catches a typo of several digits.
MAX_ANNUAL_VOLUME = Decimal("10000000")


@dataclass(frozen=True)
class CustomerDetails:
    """Who the contract is for.

    ``name`` is used only when the customer number is new. For ``language``, ``segment`` and
    ``billing_postcode``, None means "keep what is stored" for a known customer and the
    default (nl, private, no billing postcode) for a new one; a value replaces the stored one.
    ``billing_postcode`` may be typed loosely ("1234 ab"); it is stored canonical.
    """

    customer_number: str
    name: str
    language: Language | None = None
    segment: Segment | None = None
    billing_postcode: str | None = None


async def create_contract(
    uow: UnitOfWork,
    *,
    customer: CustomerDetails,
    commodity: Commodity,
    product_code: str,
    supply_postcode: str,
    start_date: date,
    fixed_term_end: date | None,
    concluded_on: date,
    now: datetime,
    meter_location: str = "unknown",
    annual_consumption: Mapping[str, Decimal] | None = None,
    ean: str | None = None,
    withdrawal_days: int = 14,
    sealer: Sealer | None = None,
) -> Contract:
    """``annual_consumption``: expected volume per year per register (catalogue register
    names, e.g. {"electricity_normal": Decimal("1800")}), for the overview, the fee and
    metering's plausibility check. ``ean``: the connection supplied, when operations know it
    (metering and the grid operator's data find the contract by it). ``sealer``: the event
    sealing key's, to announce a new customer's name sealed (without it the name stays home)."""
    # Everything is checked before anything is written.
    check_new_terms(
        customer_number=customer.customer_number,
        product_code=product_code,
        start_date=start_date,
        fixed_term_end=fixed_term_end,
        concluded_on=concluded_on,
    )
    if not customer.name.strip() or len(customer.name) > 200:
        raise InvalidContractTerms("A customer's name has 1 to 200 characters.", field="name")
    if customer.segment is not None and customer.segment not in get_args(Segment):
        raise InvalidContractTerms("The segment is private or business.", field="segment")
    if customer.language is not None and customer.language not in get_args(Language):
        raise InvalidContractTerms("The language is one of nl, en, fr, de.", field="language")
    if meter_location not in METER_LOCATIONS:
        raise InvalidContractTerms("The meter is indoors, outdoors or unknown.", field="meter_location")
    volumes = dict(annual_consumption or {})
    for register, volume in volumes.items():
        if register not in REGISTERS.get(commodity, ()):
            raise InvalidContractTerms(
                f"{register} is not a register of {commodity}.", field="annual_consumption"
            )
        if not volume.is_finite() or not 0 <= volume < MAX_ANNUAL_VOLUME:
            raise InvalidContractTerms(
                "An annual volume is 0 or more (and realistic).", field="annual_consumption"
            )
    supply = normalise_postcode(supply_postcode, field="supply_postcode")
    connection = None if ean is None else normalise_ean(ean)
    billing = (
        None
        if customer.billing_postcode is None
        else normalise_postcode(customer.billing_postcode, field="billing_postcode")
    )

    customers = Customers(uow.session)
    contracts = Contracts(uow.session)
    if connection is not None and await contracts.holds_connection(connection, commodity):
        raise ContractNotActive("This connection already has a current contract for this commodity.")
    stored = await customers.get_locked(customer.customer_number)
    before: Registration | None
    if stored is None:
        before, supplied = None, []
        stored = Customer(
            customer_number=customer.customer_number,
            name=customer.name,
            language=customer.language or DEFAULT_LANGUAGE,
            segment=customer.segment or DEFAULT_SEGMENT,
            billing_postcode=billing,
            created_at=now,
        )
        customers.add(stored)
    else:
        supplied = await contracts.supply_postcodes(stored.customer_number)
        before = Registration.of(stored, supplied)
        if customer.language is not None:
            stored.language = customer.language
        if customer.segment is not None:
            stored.segment = customer.segment
        if billing is not None:
            stored.billing_postcode = billing
    after = Registration.of(stored, {*supplied, supply})

    contract = Contract(
        id=str(uuid.uuid4()),
        contract_number=await ContractNumbers(uow.session).next(),
        customer_number=customer.customer_number,
        supply_postcode=supply,
        ean=connection,
        commodity=commodity,
        product_code=product_code,
        start_date=start_date,
        fixed_term_end=fixed_term_end,
        concluded_on=concluded_on,
        status="active",
        meter_location=meter_location,
        created_at=now,
    )
    contracts.add(contract)
    for register, volume in volumes.items():
        uow.session.add(ExpectedConsumption(contract_id=contract.id, register=register, annual_volume=volume))
    ContractEvents(uow.session).record(
        contract.id,
        "created",
        now,
        contract_number=contract.contract_number,
        product_code=product_code,
        start_date=start_date.isoformat(),
    )
    announce_registration(uow, after, before, customer.customer_number)
    if before is None:
        announce_details(uow, sealer, stored, ["billing_address", "payment", "contact"])
    announce_created(uow, contract, volumes)  # meter location and registers checked above
    # The written confirmation and the other documents of the contract, in its mailbox.
    await file_contract_documents(uow, contract, stored, withdrawal_days=withdrawal_days, now=now)
    await uow.commit()
    return contract


def announce_created(uow: UnitOfWork, contract: Contract, volumes: Mapping[str, Decimal]) -> None:
    """ContractCreated for a contract just concluded (here or by confirming a portal request):
    metering builds the first meter and its plausibility check from it, billing the advance."""
    uow.emit(
        ContractCreated(
            contract_id=contract.id,
            contract_number=contract.contract_number,
            customer_number=contract.customer_number,
            commodity=contract.commodity,
            product_code=contract.product_code,
            start_date=contract.start_date,
            ean=contract.ean,
            supply_postcode=contract.supply_postcode,
            supply_street=contract.supply_street,
            supply_house_number=contract.supply_house_number,
            supply_house_number_addition=contract.supply_house_number_addition,
            supply_city=contract.supply_city,
            meter_location=contract.meter_location,
            expected_annual_consumption=dict(volumes),
        ),
        subject=contract.id,
    )
