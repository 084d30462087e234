"""POST /v1/admin/unilateral-changes: operations announce a change of prices or conditions."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from contracts.api.deps import NowDep, SettingsDep
from contracts.api.schemas import UnilateralChangeIn, UnilateralChangeOut
from contracts.use_cases.unilateral_changes import announce_change
from portal_chassis.auth import OperatorDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/admin/unilateral-changes", tags=["operations"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Announce a price or conditions change to the affected contracts",
    responses={
        200: {"description": "The same change was announced before: that announcement, nothing sent"},
        409: {"description": "The same change was announced with another description"},
        422: {"description": "Invalid body, or an effective date less than 30 days ahead"},
    },
)
async def announce(
    body: UnilateralChangeIn,
    operator: OperatorDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
    response: Response,
) -> UnilateralChangeOut:
    done = await announce_change(
        uow,
        settings,
        kind=body.kind,
        effective_date=body.effective_date,
        description=body.description,
        commodity=body.commodity,
        product_codes=body.product_codes,
        operator=operator.name,
        now=now,
    )
    if done.repeated:
        response.status_code = status.HTTP_200_OK
    return UnilateralChangeOut(
        change_id=done.change_id,
        effective_date=body.effective_date,
        contracts_notified=done.contracts_notified,
    )
