"""/v1/contracts/{id}/termination and the indicative termination fee."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, status

from contracts.api.deps import NowDep, SettingsDep
from contracts.api.schemas import FeeOut, FeeQuoteOut, TerminationOut, TerminationRequest
from contracts.use_cases.terminate_contract import terminate_contract
from contracts.use_cases.view_contracts import indicative_fee
from portal_chassis.auth import CustomerDep
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
