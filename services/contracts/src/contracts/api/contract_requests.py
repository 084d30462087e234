"""/v1/contract-requests: new contracts requested in the portal, with their status."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, status

from contracts.api.deps import NowDep, SettingsDep, TodayDep
from contracts.api.schemas import (
    AddressIn,
    AddressOut,
    ContractRequestIn,
    ContractRequestOut,
    HistoryItem,
    RefusalIn,
)
from contracts.db.tables import Contract
from contracts.domain.address import Address, make_address
from contracts.domain.contract import shown_status
from contracts.domain.withdrawal import last_withdrawal_day
from contracts.use_cases.contract_requests import (
    NewRequest,
    RequestView,
    confirm_by_operator,
    list_requests,
    refuse_by_operator,
    request_contract,
)
from portal_chassis.auth import CustomerDep, OperatorDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/contract-requests", tags=["contract requests"])
admin_router = APIRouter(prefix="/v1/admin/contract-requests", tags=["operations"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No customer data for this account"},
    409: {"description": "The connection already has a current contract"},
    422: {
        "description": "Invalid input (problem types invalid-connection, large-consumer-connection, "
        "invalid-start-date with the allowed bounds, invalid-address, invalid-postcode, "
        "invalid-contract-terms). Nothing was recorded."
    },
}


def supply_address(contract: Contract) -> AddressOut | None:
    if contract.supply_street is None or contract.supply_house_number is None or contract.supply_city is None:
        return None
    return AddressOut(
        street=contract.supply_street,
        house_number=contract.supply_house_number,
        house_number_addition=contract.supply_house_number_addition,
        postcode=contract.supply_postcode,
        city=contract.supply_city,
    )


def request_out(view: RequestView, today: date, withdrawal_days: int) -> ContractRequestOut:
    request, contract = view.request, view.contract
    return ContractRequestOut(
        id=request.id,
        contract_id=contract.id,
        contract_number=contract.contract_number,
        commodity=contract.commodity,
        product_code=contract.product_code,
        ean=contract.ean,
        capacity=contract.capacity,
        supply_address=supply_address(contract),
        requested_on=request.requested_on,
        desired_start_date=request.desired_start_date,
        current_contract_end=request.current_contract_end,
        start_date=contract.start_date,
        status=shown_status(contract.status, contract.end_date, today),
        withdrawal_until=None
        if contract.status in ("requested", "refused")
        else last_withdrawal_day(contract.concluded_on, withdrawal_days),
        refusal_reason=request.refusal_reason,
        history=[HistoryItem(kind=e.kind, occurred_at=e.occurred_at) for e in view.history],
    )


def _address(body: AddressIn) -> Address:
    return make_address(**body.model_dump(), field="supply_address")


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Request a new contract (status requested until it is confirmed or refused)",
    responses=ERRORS,
)
async def new_request(
    body: ContractRequestIn,
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
    today: TodayDep,
) -> ContractRequestOut:
    view = await request_contract(
        uow,
        customer.customer_number,
        NewRequest(
            commodity=body.commodity,
            product_code=body.product_code,
            ean=body.ean,
            capacity=body.capacity,
            supply_address=_address(body.supply_address),
            desired_start_date=body.desired_start_date,
            current_contract_end=body.current_contract_end,
        ),
        today=today,
        now=now,
    )
    return request_out(view, today, settings.withdrawal_days)


@router.get("", summary="My contract requests and their status, newest first")
async def my_requests(
    customer: CustomerDep, uow: UowDep, page: PageDep, settings: SettingsDep, today: TodayDep
) -> Page[ContractRequestOut]:
    views, total = await list_requests(uow, customer.customer_number, page)
    return Page(
        items=[request_out(v, today, settings.withdrawal_days) for v in views],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


ADMIN_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such request (problem type contract-request-not-found)"},
    409: {
        "description": "Already confirmed or refused (problem type contract-request-decided), or its "
        "start date has passed (start-date-passed, confirmation only)"
    },
}


@admin_router.post(
    "/{request_id}/confirmation",
    summary="Confirm a pending request by hand (the written confirmation)",
    responses=ADMIN_ERRORS,
)
async def confirm(
    request_id: str, operator: OperatorDep, uow: UowDep, settings: SettingsDep, now: NowDep, today: TodayDep
) -> ContractRequestOut:
    view = await confirm_by_operator(
        uow, request_id, operator.name, today=today, now=now, withdrawal_days=settings.withdrawal_days
    )
    return request_out(view, today, settings.withdrawal_days)


@admin_router.post("/{request_id}/refusal", summary="Refuse a pending request", responses=ADMIN_ERRORS)
async def refuse(
    request_id: str,
    body: RefusalIn,
    operator: OperatorDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
    today: TodayDep,
) -> ContractRequestOut:
    view = await refuse_by_operator(uow, request_id, operator.name, body.reason, now=now)
    return request_out(view, today, settings.withdrawal_days)
