"""/v1/admin/contracts/{id}/co-holders: operations add and list a contract's co-holders."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from contracts.api.deps import NowDep
from contracts.api.schemas import CoHolderIn, CoHolderOut
from contracts.db.tables import CoHolder
from contracts.use_cases.co_holders import add_co_holder, co_holders_of
from portal_chassis.auth import OperatorDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/admin/contracts/{contract_id}/co-holders", tags=["operations"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such contract"},
    409: {"description": "The contract has ended or was withdrawn"},
    422: {"description": "Invalid name, email or phone number"},
}


def _out(holder: CoHolder) -> CoHolderOut:
    return CoHolderOut(
        id=holder.id,
        contract_id=holder.contract_id,
        name=holder.name,
        email=holder.email,
        phone=holder.phone,
        added_by=holder.added_by,
        added_at=holder.added_at,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Add a co-holder to a contract", responses=ERRORS
)
async def add(
    contract_id: str, body: CoHolderIn, operator: OperatorDep, uow: UowDep, now: NowDep
) -> CoHolderOut:
    holder = await add_co_holder(
        uow,
        contract_id=contract_id,
        name=body.name,
        email=body.email,
        phone=body.phone,
        operator=operator.name,
        now=now,
    )
    return _out(holder)


@router.get("", summary="A contract's co-holders", responses=ERRORS)
async def list_co_holders(contract_id: str, operator: OperatorDep, uow: UowDep) -> list[CoHolderOut]:
    return [_out(h) for h in await co_holders_of(uow, contract_id)]
