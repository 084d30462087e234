"""Withdrawing from a contract within the withdrawal period: free of charge.

Announced as ContractWithdrawn rather than as a termination: a withdrawn contract is void
(it never counts as a contract that ran), there is never a fee, and in the usual case supply
never started, so there is no final reading or final settlement to make. When supply did
start (a contract concluded after its start date), the event gives the last day supplied
and billing settles that energy at the contract's prices, without a fee.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm.exc import StaleDataError

from contracts.db.repositories import ContractEvents
from contracts.db.tables import Contract
from contracts.domain.errors import ContractNotActive
from contracts.domain.withdrawal import check_withdrawal
from contracts.settings import ContractsSettings
from contracts.use_cases.contract_lookups import owned_contract
from portal_chassis.calendar import calendar_day
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractWithdrawn


async def withdraw_contract(
    uow: UnitOfWork, settings: ContractsSettings, *, customer_number: str, contract_id: str, now: datetime
) -> Contract:
    contract = await owned_contract(uow, customer_number, contract_id)
    today = calendar_day(now, settings.zone)
    check_withdrawal(
        status=contract.status,
        concluded_on=contract.concluded_on,
        today=today,
        withdrawal_days=settings.withdrawal_days,
    )
    record_withdrawal(uow, contract, today=today, now=now)
    try:
        await uow.commit()
    except StaleDataError:
        raise ContractNotActive("This contract was changed meanwhile; please look again.") from None
    return contract


def record_withdrawal(
    uow: UnitOfWork, contract: Contract, *, today: date, now: datetime, **history: str
) -> None:
    """Mark the contract withdrawn, free of charge, and announce it (the caller commits)."""
    last_supply_day = today if contract.start_date <= today else None
    contract.status = "withdrawn"
    contract.end_date = last_supply_day
    contract.termination_fee = Decimal("0.00")
    contract.terminated_at = now
    ContractEvents(uow.session).record(
        contract.id,
        "withdrawn",
        now,
        last_supply_day=None if last_supply_day is None else last_supply_day.isoformat(),
        **history,
    )
    uow.emit(
        ContractWithdrawn(
            contract_id=contract.id,
            customer_number=contract.customer_number,
            withdrawn_on=today,
            last_supply_day=last_supply_day,
        ),
        subject=contract.id,
    )
