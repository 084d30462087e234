"""/v1/contracts/{id}/advance: the caller's monthly advance (and operations' variant under
/v1/admin/contracts/{id}/advance)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from billing.api.advances_schemas import AdvanceIn, AdvanceOut, AdvanceScheduleOut
from billing.api.deps import CustomerDep, NowDep, SettingsDep, UowDep
from billing.use_cases.advances import change_advance, view_advance, view_schedule
from portal_chassis.auth import OperatorDep

router = APIRouter(prefix="/v1/contracts", tags=["advances"])
admin_router = APIRouter(prefix="/v1/admin/contracts", tags=["operations"])

ContractId = Annotated[str, Path(min_length=1, max_length=64)]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No contract with this id for the caller"},
}
CHANGE_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    409: {
        "description": "The contract ends before the next billing period, or is not billed by "
        "monthly advances from then"
    },
    422: {
        "description": "An invalid amount, or one outside the bounds (advance-out-of-bounds, with "
        "the minimum and maximum as extension fields)"
    },
}


@router.get("/{contract_id}/advance", summary="My contract's monthly advance", responses=NOT_FOUND)
async def my_advance(
    contract_id: ContractId, customer: CustomerDep, uow: UowDep, settings: SettingsDep, now: NowDep
) -> AdvanceOut:
    return AdvanceOut.of(await view_advance(uow, settings, contract_id, customer.customer_number, now))


@router.get(
    "/{contract_id}/advance-schedule",
    summary="My contract's payment schedule: the advances of this contract year",
    responses=NOT_FOUND,
)
async def my_advance_schedule(
    contract_id: ContractId, customer: CustomerDep, uow: UowDep, settings: SettingsDep, now: NowDep
) -> AdvanceScheduleOut:
    return AdvanceScheduleOut.of(
        await view_schedule(uow, settings, contract_id, customer.customer_number, now)
    )


@router.put(
    "/{contract_id}/advance",
    summary="Change my monthly advance from the next billing period",
    responses=CHANGE_ERRORS,
)
async def change_my_advance(
    contract_id: ContractId,
    body: AdvanceIn,
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
) -> AdvanceOut:
    view = await change_advance(
        uow,
        settings,
        contract_id,
        body.amount,
        changed_by="customer",
        customer_number=customer.customer_number,
        now=now,
    )
    return AdvanceOut.of(view)


@admin_router.put(
    "/{contract_id}/advance",
    summary="Set a contract's monthly advance from the next billing period (0 to the absolute maximum)",
    responses={**CHANGE_ERRORS, 404: {"description": "No such contract"}},
)
async def set_advance(
    contract_id: ContractId,
    body: AdvanceIn,
    operator: OperatorDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
) -> AdvanceOut:
    view = await change_advance(
        uow, settings, contract_id, body.amount, changed_by="operations", customer_number=None, now=now
    )
    return AdvanceOut.of(view)
