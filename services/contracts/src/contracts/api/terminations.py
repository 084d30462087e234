"""/v1/contracts/{id}/termination, the indicative termination fee, and operations' fee adjustment."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from contracts.api.deps import NowDep, SettingsDep
from contracts.api.schemas import (
    FeeAdjustmentIn,
    FeeAdjustmentOut,
    FeeOut,
    FeeQuoteOut,
    TerminationOut,
    TerminationRequest,
)
from contracts.use_cases.terminate_contract import adjust_fee, terminate_contract
from contracts.use_cases.view_contracts import indicative_fee
from portal_chassis.auth import CustomerDep, OperatorDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/contracts/{contract_id}", tags=["terminations"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such contract for this customer"},
    409: {"description": "The contract is not active (problem type contract-not-active)"},
    422: {"description": "Invalid end date or reason"},
}


@router.post(
    "/termination",
    status_code=status.HTTP_201_CREATED,
    summary="End a contract on a chosen day",
    responses=ERRORS,
)
async def terminate(
    contract_id: str,
    body: TerminationRequest,
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
) -> TerminationOut:
    done = await terminate_contract(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        end_date=body.end_date,
        reason=body.reason,
        now=now,
    )
    return TerminationOut(
        contract_id=done.contract.id,
        status=done.contract.status,
        end_date=body.end_date,
        reason=body.reason,
        fee=FeeOut.of(done.fee),
    )


@router.get(
    "/termination-fee",
    summary="What ending on a given day would cost (indicative, nothing is recorded)",
    responses=ERRORS,
)
async def termination_fee_quote(
    contract_id: str,
    end_date: Annotated[date, Query(description="Intended last day of supply")],
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
) -> FeeQuoteOut:
    quote = await indicative_fee(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        end_date=end_date,
        now=now,
    )
    return FeeQuoteOut(contract_id=contract_id, end_date=end_date, fee=FeeOut.of(quote))


admin_router = APIRouter(prefix="/v1/admin/contracts/{contract_id}", tags=["operations"])


@admin_router.post(
    "/fee-adjustment",
    summary="Lower or waive the provisional termination fee (operations)",
    responses={
        404: {"description": "No such contract"},
        409: {"description": "No provisional fee to adjust (problem type fee-not-adjustable)"},
        422: {"description": "Invalid body, or an amount above the current fee"},
    },
)
async def adjust_termination_fee(
    contract_id: str,
    body: FeeAdjustmentIn,
    operator: OperatorDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
) -> FeeAdjustmentOut:
    contract = await adjust_fee(
        uow,
        settings,
        contract_id=contract_id,
        amount_excl_vat=None if body.waive else body.amount_excl_vat,
        reason=body.reason,
        operator=operator.name,
        now=now,
    )
    assert contract.termination_fee is not None and contract.termination_fee_excl_vat is not None
    return FeeAdjustmentOut(
        contract_id=contract.id,
        termination_fee=contract.termination_fee,
        amount_excl_vat=contract.termination_fee_excl_vat,
    )
