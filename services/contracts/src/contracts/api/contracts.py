"""/v1/contracts: the caller's own contracts and those linked to the account (co-holder)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from contracts.api.deps import TodayDep
from contracts.api.schemas import ContractOut
from contracts.use_cases.overview import overviews
from contracts.use_cases.view_contracts import get_contract, list_contracts
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such contract for this customer or account"}
}


@router.get("", summary="My contracts and those I co-hold, newest start first")
async def my_contracts(
    customer: CustomerDep, uow: UowDep, page: PageDep, today: TodayDep
) -> Page[ContractOut]:
    rows, total = await list_contracts(uow, customer, page)
    shown = await overviews(uow, rows, today)
    return Page(
        items=[ContractOut.of(c, today, shown[c.id]) for c in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/{contract_id}", summary="One of my contracts", responses=NOT_FOUND)
async def my_contract(contract_id: str, customer: CustomerDep, uow: UowDep, today: TodayDep) -> ContractOut:
    contract = await get_contract(uow, customer, contract_id)
    shown = await overviews(uow, [contract], today)
    return ContractOut.of(contract, today, shown[contract.id])
