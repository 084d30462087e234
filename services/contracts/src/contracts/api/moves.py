"""/v1/moves: report a move; the contracts go along or end on the move-out date."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from contracts.api.deps import NowDep, SettingsDep
from contracts.api.schemas import MoveIn, MoveOut
from contracts.domain.address import make_address
from contracts.use_cases.moves import MoveReport, report_move
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/moves", tags=["moves"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No customer data for this account"},
    409: {"description": "No current contract to move, or one cannot end on the move-out date"},
    422: {"description": "Invalid dates (at least 5 days' notice, not in the past) or address"},
}


@router.post("", status_code=status.HTTP_201_CREATED, summary="Report a move", responses=ERRORS)
async def new_move(
    body: MoveIn, customer: CustomerDep, uow: UowDep, settings: SettingsDep, now: NowDep
) -> MoveOut:
    address = (
        None
        if body.new_address is None
        else make_address(**body.new_address.model_dump(), field="new_address")
    )
    move = await report_move(
        uow,
        settings,
        customer.customer_number,
        MoveReport(
            move_out_date=body.move_out_date,
            move_in_date=body.move_in_date,
            new_address=address,
            contract_ids=None if body.contract_ids is None else tuple(body.contract_ids),
        ),
        now=now,
    )
    return MoveOut(
        id=move.id,
        move_out_date=move.move_out_date,
        move_in_date=move.move_in_date,
        new_postcode=move.new_postcode,
        contract_ids=move.contract_ids,
        outcome="terminated" if address is None else "moved",
    )
