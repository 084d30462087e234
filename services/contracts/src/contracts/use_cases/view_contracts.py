"""What customers read: their contracts, one contract, an indicative termination fee.

An account sees its own customer's contracts and those identity linked to it (ContractLinked:
a co-holder, or a contract of another customer added by letter code; consumers.py keeps the
links). Seeing is all a link gives: changes, terminations, withdrawals, renewals and the
indicative fee stay with the contract's own customer (``owned_contract``), whose decisions
they are; to anyone else such a contract is unknown (404), as is every unlinked contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from contracts.db.repositories import Contracts
from contracts.db.tables import Contract
from contracts.domain.contract import check_termination
from contracts.domain.termination_fee import FeeQuote
from contracts.settings import ContractsSettings
from contracts.use_cases.contract_lookups import found, owned_contract
from contracts.use_cases.terminate_contract import quote_for
from portal_chassis.auth import Principal
from portal_chassis.calendar import calendar_day
from portal_chassis.pagination import PageParams
from portal_chassis.uow import UnitOfWork


async def list_contracts(
    uow: UnitOfWork, principal: Principal, page: PageParams
) -> tuple[Sequence[Contract], int]:
    return await Contracts(uow.session).page_visible_to(
        principal.customer_number, principal.account_id, limit=page.limit, offset=page.offset
    )


async def get_contract(uow: UnitOfWork, principal: Principal, contract_id: str) -> Contract:
    contracts = Contracts(uow.session)
    return found(await contracts.visible_to(principal.customer_number, principal.account_id, contract_id))


async def indicative_fee(
    uow: UnitOfWork,
    settings: ContractsSettings,
    *,
    customer_number: str,
    contract_id: str,
    end_date: date,
    now: datetime,
) -> FeeQuote:
    """The fee a termination with this end date would cost today; nothing is recorded."""
    contract = await owned_contract(uow, customer_number, contract_id)
    today = calendar_day(now, settings.zone)
    check_termination(status=contract.status, start_date=contract.start_date, end_date=end_date, today=today)
    return await quote_for(uow, settings, contract, end_date=end_date, requested_on=today)
