"""/v1/contracts/{id}/withdrawal: the free right of withdrawal after the written confirmation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi import APIRouter, status

from contracts.api.deps import NowDep, SettingsDep
from contracts.api.schemas import WithdrawalOut
from contracts.use_cases.withdraw_contract import withdraw_contract
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/contracts/{contract_id}", tags=["withdrawals"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such contract for this customer"},
    409: {
        "description": "The withdrawal period is over (withdrawal-period-over) or the contract is "
        "no longer current (contract-not-active)"
    },
}


@router.post(
    "/withdrawal",
    status_code=status.HTTP_201_CREATED,
    summary="Withdraw from a contract within 14 days of its confirmation, free of charge",
    responses=ERRORS,
)
async def withdraw(
    contract_id: str, customer: CustomerDep, uow: UowDep, settings: SettingsDep, now: NowDep
) -> WithdrawalOut:
    contract = await withdraw_contract(
        uow, settings, customer_number=customer.customer_number, contract_id=contract_id, now=now
    )
    return WithdrawalOut(
        contract_id=contract.id, status="withdrawn", last_supply_day=contract.end_date, fee=Decimal("0.00")
    )
