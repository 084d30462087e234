"""Customers change their contract's options or switch tariff (domain/terms.py has the rules).

Each change is one transaction: a contract_terms row effective from the chosen day, a line in
the contract's history and ContractAmended with the complete terms from that day on, so that
billing prices with the right product and metering knows whether to expect self-readings.
"""

from __future__ import annotations

from datetime import date, datetime

from contracts.db.repositories import Catalogue
from contracts.db.tables import Contract, Product
from contracts.domain.terms import (
    ContractFacts,
    OptionChange,
    ProductFacts,
    Terms,
    amend_options,
    switch_product,
)
from contracts.use_cases.contract_lookups import owned_contract
from contracts.use_cases.documents import file_tariff_sheet
from contracts.use_cases.terms_history import histories, initial_terms, record_terms, terms_on
from portal_chassis.uow import UnitOfWork

__all__ = ["change_options", "histories", "initial_terms", "product_facts", "switch_tariff"]


def product_facts(product: Product | None) -> ProductFacts | None:
    if product is None:
        return None
    return ProductFacts(
        code=product.code,
        kind=product.kind,
        term_months=product.term_months,
        commodities=tuple(product.commodities),
        gas_sources=tuple(product.gas_sources),
        on_sale=product.on_sale,
    )


def _facts(contract: Contract) -> ContractFacts:
    return ContractFacts(
        commodity=contract.commodity,
        status=contract.status,
        start_date=contract.start_date,
        end_date=contract.end_date,
        meter_location=contract.meter_location,
    )


async def change_options(
    uow: UnitOfWork,
    *,
    customer_number: str,
    contract_id: str,
    change: OptionChange,
    effective: date | None,
    today: date,
    now: datetime,
) -> Terms:
    contract = await owned_contract(uow, customer_number, contract_id)
    day = effective or today
    current = await terms_on(uow, contract, day)
    product = await Catalogue(uow.session).product(current.product_code)
    terms = amend_options(
        _facts(contract), product_facts(product), current, change, effective=day, today=today
    )
    if terms == current:
        return terms  # nothing changes: nothing recorded, nothing announced
    await record_terms(uow, contract, terms, kind="options_changed", change="options", now=now)
    await uow.commit()
    return terms


async def switch_tariff(
    uow: UnitOfWork,
    *,
    customer_number: str,
    contract_id: str,
    product_code: str,
    effective: date,
    today: date,
    now: datetime,
) -> Terms:
    contract = await owned_contract(uow, customer_number, contract_id)
    current = await terms_on(uow, contract, effective)
    product = await Catalogue(uow.session).product(product_code)
    terms = switch_product(
        _facts(contract), product_facts(product), current, effective=effective, today=today
    )
    await record_terms(uow, contract, terms, kind="tariff_switched", change="tariff_switch", now=now)
    # The new product's prices from the switch day, as a new tariff sheet in the mailbox.
    await file_tariff_sheet(
        uow, contract, product_code=terms.product_code, prices_from=terms.effective_from, now=now
    )
    await uow.commit()
    return terms
