"""Customers change their contract's options or switch tariff (domain/terms.py has the rules).

Each change is one transaction: a contract_terms row effective from the chosen day, a line in
the contract's history and ContractAmended with the complete terms from that day on, so that
billing prices with the right product and metering knows whether to expect self-readings.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from contracts.db.repositories import Catalogue, ContractEvents
from contracts.db.repositories import Terms as TermsRepo
from contracts.db.tables import Contract, ContractTerms, Product
from contracts.domain.terms import (
    ContractFacts,
    OptionChange,
    ProductFacts,
    Terms,
    amend_options,
    in_force,
    switch_product,
)
from contracts.use_cases.terminate_contract import owned_contract
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractAmended, ContractOptions


def initial_terms(contract: Contract) -> Terms:
    """The terms a contract was concluded with: its product, no options, grey gas."""
    return Terms(
        effective_from=contract.start_date,
        product_code=contract.product_code,
        fixed_term_end=contract.fixed_term_end,
        gas_source="grey" if contract.commodity == "gas" else None,
    )


def _terms(row: ContractTerms) -> Terms:
    return Terms(
        effective_from=row.effective_from,
        product_code=row.product_code,
        fixed_term_end=row.fixed_term_end,
        green_electricity=row.green_electricity,
        e_invoice=row.e_invoice,
        self_reading=row.self_reading,
        gas_source=row.gas_source,
    )


async def histories(uow: UnitOfWork, contracts: Sequence[Contract]) -> dict[str, list[Terms]]:
    """Each contract's terms, oldest effective first, starting with the initial terms."""
    rows = await TermsRepo(uow.session).of_contracts([c.id for c in contracts])
    return {c.id: [initial_terms(c), *(_terms(r) for r in rows[c.id])] for c in contracts}


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
    current = await _current(uow, contract, day)
    product = await Catalogue(uow.session).product(current.product_code)
    terms = amend_options(
        _facts(contract), product_facts(product), current, change, effective=day, today=today
    )
    if terms == current:
        return terms  # nothing changes: nothing recorded, nothing announced
    await _record(uow, contract, terms, "options_changed", now)
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
    current = await _current(uow, contract, effective)
    product = await Catalogue(uow.session).product(product_code)
    terms = switch_product(
        _facts(contract), product_facts(product), current, effective=effective, today=today
    )
    await _record(uow, contract, terms, "tariff_switched", now)
    return terms


async def _current(uow: UnitOfWork, contract: Contract, day: date) -> Terms:
    history = (await histories(uow, [contract]))[contract.id]
    return in_force(history, day) or history[0]


async def _record(uow: UnitOfWork, contract: Contract, terms: Terms, kind: str, now: datetime) -> None:
    TermsRepo(uow.session).add(
        ContractTerms(
            contract_id=contract.id,
            effective_from=terms.effective_from,
            product_code=terms.product_code,
            green_electricity=terms.green_electricity,
            e_invoice=terms.e_invoice,
            self_reading=terms.self_reading,
            gas_source=terms.gas_source,
            fixed_term_end=terms.fixed_term_end,
            recorded_at=now,
        )
    )
    options = ContractOptions(
        green_electricity=terms.green_electricity,
        e_invoice=terms.e_invoice,
        self_reading=terms.self_reading,
        gas_source=terms.gas_source,
    )
    ContractEvents(uow.session).record(
        contract.id,
        kind,
        now,
        effective_from=terms.effective_from.isoformat(),
        product_code=terms.product_code,
        **options.model_dump(),
    )
    uow.emit(
        ContractAmended(
            contract_id=contract.id,
            customer_number=contract.customer_number,
            commodity=contract.commodity,
            change="tariff_switch" if kind == "tariff_switched" else "options",
            effective_from=terms.effective_from,
            product_code=terms.product_code,
            options=options,
        ),
        subject=contract.id,
    )
    await uow.commit()
