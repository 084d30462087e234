"""Renewal of fixed terms (product conditions 3.1).

Before a fixed term ends the customer gets a renewal proposal (RenewalProposed, mailed by
notifications). Accepting it starts a new fixed term on the chosen product the day after the
old one ends. A term that ends without acceptance rolls into an indefinite contract with
variable prices (``fixed_term_end`` null, the configured variable product if there is one),
which the customer may end free of charge with 30 days' notice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from contracts.db.repositories import Catalogue, ContractEvents, Contracts
from contracts.db.tables import Contract
from contracts.settings import ContractsSettings
from contracts.use_cases.fee_prices import months_before
from contracts.use_cases.terminate_contract import owned_contract
from portal_chassis.calendar import calendar_day
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import RenewalProposed


@dataclass(frozen=True)
class RenewalRun:
    proposed: int
    rolled_over: int


async def propose_renewals(
    uow: UnitOfWork, settings: ContractsSettings, *, today: date, now: datetime
) -> RenewalRun:
    """Roll over the fixed terms that ended before ``today`` and propose a renewal for those
    ending within the notice window. Safe to run twice: a contract gets one proposal per term
    (``renewal_proposed_for`` remembers which) and a rolled-over one has no term left."""
    history = ContractEvents(uow.session)
    proposed = rolled = 0
    window_end = today + timedelta(days=settings.renewal_notice_days)
    for contract in await Contracts(uow.session).fixed_terms_ending(window_end):
        assert contract.fixed_term_end is not None
        if contract.fixed_term_end < today:
            _roll_over(contract, settings)
            history.record(contract.id, "rolled_over_to_indefinite", now, product_code=contract.product_code)
            rolled += 1
        elif contract.renewal_proposed_for != contract.fixed_term_end:
            contract.renewal_proposed_for = contract.fixed_term_end
            history.record(
                contract.id, "renewal_proposed", now, fixed_term_end=contract.fixed_term_end.isoformat()
            )
            uow.emit(
                RenewalProposed(
                    contract_id=contract.id,
                    customer_number=contract.customer_number,
                    contract_number=contract.contract_number,
                    commodity=contract.commodity,
                    product_code=contract.product_code,
                    fixed_term_end=contract.fixed_term_end,
                ),
                subject=contract.id,
            )
            proposed += 1
    await uow.commit()
    return RenewalRun(proposed, rolled)


def _roll_over(contract: Contract, settings: ContractsSettings) -> None:
    variable = (
        settings.variable_product_gas
        if contract.commodity == "gas"
        else settings.variable_product_electricity
    )
    contract.fixed_term_end = None
    contract.term_months = None
    if variable:
        contract.product_code = variable


async def accept_renewal(
    uow: UnitOfWork,
    settings: ContractsSettings,
    *,
    customer_number: str,
    contract_id: str,
    product_code: str,
    now: datetime,
) -> Contract:
    """The customer accepts the open proposal with a fixed product of the catalogue."""
    contract = await owned_contract(uow, customer_number, contract_id)
    today = calendar_day(now, settings.zone)
    if (
        contract.status != "active"
        or contract.fixed_term_end is None
        or contract.renewal_proposed_for != contract.fixed_term_end
        or contract.fixed_term_end < today
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
        raise ProblemError(
            422,
            "unknown-product",
            detail := "Choose a fixed-term product on sale for this commodity.",
            errors=[{"field": "product_code", "message": detail}],
        )
    start = contract.fixed_term_end + timedelta(days=1)
    new_end = months_before(start, -product.term_months) - timedelta(days=1)
    ContractEvents(uow.session).record(
        contract.id,
        "renewal_accepted",
        now,
        old_product_code=contract.product_code,
        product_code=product.code,
        term_start=start.isoformat(),
        fixed_term_end=new_end.isoformat(),
    )
    contract.product_code = product.code
    contract.fixed_term_end = new_end
    contract.term_months = product.term_months
    await uow.commit()
    return contract
