"""Renewal of fixed terms (product conditions 3.1).

Before a fixed term ends the customer gets a renewal proposal (RenewalProposed, mailed by
notifications). Accepting it starts a new fixed term on the chosen product the day after the
old one ends. A term that ends without acceptance rolls into an indefinite contract with
variable prices (``fixed_term_end`` null, the configured variable product if there is one),
which the customer may end free of charge with 30 days' notice.

Both go through the contract's terms (use_cases/terms_history.py): an accepted renewal records
terms effective the day after the old term ends (change "renewal"), a rollover terms effective
that day without a fixed term (change "rollover"); each emits ContractAmended, so the overview,
the termination fee and billing all read the same product and price guarantee. Which term is
ending is the one in force today, so a term started by a tariff switch or an earlier renewal
is proposed for and rolled over just like the first one. Changes already planned for days
after the new terms start keep what they recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from contracts.db.repositories import Catalogue, ContractEvents, Contracts
from contracts.db.tables import Contract, Product
from contracts.domain.terms import Terms, UnknownProduct, guarantee_end, in_force
from contracts.settings import ContractsSettings
from contracts.use_cases.contract_lookups import owned_contract
from contracts.use_cases.terms_history import histories, record_terms
from portal_chassis.calendar import calendar_day
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import RenewalProposed


@dataclass(frozen=True)
class RenewalRun:
    proposed: int
    rolled_over: int


def _next_arranged(history: list[Terms], term: Terms) -> bool:
    """Whether terms after ``term``'s fixed term are already recorded (a renewal, a switch)."""
    assert term.fixed_term_end is not None
    after = in_force(history, term.fixed_term_end + timedelta(days=1))
    return after is not None and (after.product_code, after.fixed_term_end) != (
        term.product_code,
        term.fixed_term_end,
    )


async def propose_renewals(
    uow: UnitOfWork, settings: ContractsSettings, *, today: date, now: datetime
) -> RenewalRun:
    """Roll over the fixed terms that ended before ``today`` and propose a renewal for those
    ending within the notice window. Safe to run twice: a contract gets one proposal per term
    (``renewal_proposed_for`` remembers which) and a rolled-over one has no term left."""
    events = ContractEvents(uow.session)
    proposed = rolled = 0
    window_end = today + timedelta(days=settings.renewal_notice_days)
    candidates = await Contracts(uow.session).fixed_terms_ending(window_end)
    all_terms = await histories(uow, candidates)
    for contract in candidates:
        history = all_terms[contract.id]
        term = in_force(history, today) or history[0]
        end = term.fixed_term_end
        if end is None or end > window_end or _next_arranged(history, term):
            continue
        if end < today:
            await _roll_over(uow, settings, contract, term, now)
            rolled += 1
        elif contract.renewal_proposed_for != end:
            contract.renewal_proposed_for = end
            events.record(contract.id, "renewal_proposed", now, fixed_term_end=end.isoformat())
            uow.emit(
                RenewalProposed(
                    contract_id=contract.id,
                    customer_number=contract.customer_number,
                    contract_number=contract.contract_number,
                    commodity=contract.commodity,
                    product_code=term.product_code,
                    fixed_term_end=end,
                ),
                subject=contract.id,
            )
            proposed += 1
    await uow.commit()
    return RenewalRun(proposed, rolled)


async def _roll_over(
    uow: UnitOfWork, settings: ContractsSettings, contract: Contract, term: Terms, now: datetime
) -> None:
    assert term.fixed_term_end is not None
    variable = (
        settings.variable_product_gas
        if contract.commodity == "gas"
        else settings.variable_product_electricity
    )
    product = await Catalogue(uow.session).product(variable) if variable else None
    terms = replace(
        term,
        effective_from=term.fixed_term_end + timedelta(days=1),
        product_code=variable or term.product_code,
        fixed_term_end=None,
        gas_source=_gas_source(term, product),
    )
    await record_terms(uow, contract, terms, kind="rolled_over_to_indefinite", change="rollover", now=now)


def _gas_source(term: Terms, product: Product | None) -> str | None:
    """The gas source carries over where the new product offers it, else its first one."""
    if term.gas_source is None or product is None or not product.gas_sources:
        return term.gas_source
    return term.gas_source if term.gas_source in product.gas_sources else product.gas_sources[0]


async def accept_renewal(
    uow: UnitOfWork,
    settings: ContractsSettings,
    *,
    customer_number: str,
    contract_id: str,
    product_code: str,
    now: datetime,
) -> Terms:
    """The customer accepts the open proposal with a fixed product of the catalogue: terms
    from the day after the old term ends. Returns them."""
    contract = await owned_contract(uow, customer_number, contract_id)
    today = calendar_day(now, settings.zone)
    history = (await histories(uow, [contract]))[contract.id]
    term = in_force(history, today) or history[0]
    end = term.fixed_term_end
    if (
        contract.status != "active"
        or end is None
        or contract.renewal_proposed_for != end
        or end < today
        or _next_arranged(history, term)
    ):
        raise ProblemError(409, "no-open-renewal", "This contract has no open renewal proposal.")
    product = await Catalogue(uow.session).product(product_code)
    if (
        product is None
        or not product.on_sale
        or product.kind != "fixed"
        or product.term_months is None
        or contract.commodity not in product.commodities
    ):
        raise UnknownProduct("Choose a fixed-term product on sale for this commodity.", field="product_code")
    start = end + timedelta(days=1)
    continuing = in_force(history, start) or term  # options planned up to then carry over
    terms = replace(
        continuing,
        effective_from=start,
        product_code=product.code,
        fixed_term_end=guarantee_end(start, product.term_months),
        gas_source=_gas_source(continuing, product),
    )
    await record_terms(
        uow,
        contract,
        terms,
        kind="renewal_accepted",
        change="renewal",
        now=now,
        old_product_code=term.product_code,
    )
    await uow.commit()
    return terms
