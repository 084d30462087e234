"""/v1/contracts/{id}/billing-mode: how the caller's contract is billed, and a change from the
first day of next month."""

from __future__ import annotations

from fastapi import APIRouter

from billing.api.advances import NOT_FOUND, ContractId
from billing.api.advances_schemas import BillingModeIn, BillingModeOut
from billing.api.deps import CustomerDep, NowDep, SettingsDep, UowDep
from billing.use_cases.billing_modes import request_mode, view_mode

router = APIRouter(prefix="/v1/contracts", tags=["billing modes"])


@router.get("/{contract_id}/billing-mode", summary="How my contract is billed", responses=NOT_FOUND)
async def my_billing_mode(
    contract_id: ContractId, customer: CustomerDep, uow: UowDep, settings: SettingsDep, now: NowDep
) -> BillingModeOut:
    return BillingModeOut.of(await view_mode(uow, settings, contract_id, customer.customer_number, now))


@router.put(
    "/{contract_id}/billing-mode",
    summary="Bill my contract in another mode from the first day of next month",
    responses={
        **NOT_FOUND,
        409: {"description": "The contract ends before next month"},
        422: {"description": "An unknown mode"},
    },
)
async def change_my_billing_mode(
    contract_id: ContractId,
    body: BillingModeIn,
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
) -> BillingModeOut:
    view = await request_mode(
        uow, settings, contract_id, body.mode, customer_number=customer.customer_number, now=now
    )
    return BillingModeOut.of(view)
