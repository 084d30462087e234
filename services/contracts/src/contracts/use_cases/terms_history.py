"""A contract's terms over time as stored: the terms it was concluded with, then every
contract_terms row (a tariff switch, an option change, a renewal, a rollover). Every reader
of the product, price guarantee or options in force (overview, termination fee, renewals)
goes through here, and every change is recorded by ``record_terms``: a contract_terms row,
a history line and ContractAmended for billing and metering. The contract's own
``product_code`` and ``fixed_term_end`` stay what it was concluded with."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from contracts.db.repositories import ContractEvents
from contracts.db.repositories import Terms as TermsRepo
from contracts.db.tables import Contract, ContractTerms
from contracts.domain.terms import Terms, in_force
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import AmendmentKind, ContractAmended, ContractOptions


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


async def terms_on(uow: UnitOfWork, contract: Contract, day: date) -> Terms:
    """The terms in force on ``day`` (before the start: the initial terms)."""
    history = (await histories(uow, [contract]))[contract.id]
    return in_force(history, day) or history[0]


@dataclass(frozen=True)
class FixedTerm:
    """The price guarantee in force on a day: its terms, first day and length in months
    (None for the initial term, whose length the contract itself knows)."""

    terms: Terms
    first_day: date
    months: int | None
    initial: bool


def fixed_term_on(history: list[Terms], day: date) -> FixedTerm:
    """The term in force on ``day``: an option change keeps the term it was made in, so the
    term starts where the product or the guarantee last changed."""
    current = in_force(history, day) or history[0]
    index = max(i for i, t in enumerate(history) if t is current)
    while index > 0 and (history[index - 1].product_code, history[index - 1].fixed_term_end) == (
        current.product_code,
        current.fixed_term_end,
    ):
        index -= 1
    if index == 0:
        return FixedTerm(current, history[0].effective_from, None, initial=True)
    first = history[index].effective_from
    months = None
    if current.fixed_term_end is not None:
        after = current.fixed_term_end + timedelta(days=1)
        months = (after.year - first.year) * 12 + after.month - first.month
    return FixedTerm(current, first, months, initial=False)


async def record_terms(
    uow: UnitOfWork,
    contract: Contract,
    terms: Terms,
    *,
    kind: str,
    change: AmendmentKind,
    now: datetime,
    **history: str | None,
) -> None:
    """Record ``terms`` from their effective day on and announce them (the caller commits)."""
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
        fixed_term_end=None if terms.fixed_term_end is None else terms.fixed_term_end.isoformat(),
        **options.model_dump(),
        **history,
    )
    uow.emit(
        ContractAmended(
            contract_id=contract.id,
            customer_number=contract.customer_number,
            commodity=contract.commodity,
            change=change,
            effective_from=terms.effective_from,
            product_code=terms.product_code,
            options=options,
        ),
        subject=contract.id,
    )
