"""/v1/admin/direct-debits: operations enter the debits a bank returned."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from billing.api.deps import NowDep, SettingsDep, UowDep
from billing.api.direct_debit_schemas import DebitReturnIn, DebitReturnsOut
from billing.api.payments_schemas import problem
from billing.use_cases.direct_debit import process_debit_returns
from portal_chassis.auth import OperatorDep
from portal_chassis.logging import get_logger

log = get_logger(__name__)

router = APIRouter(prefix="/v1/admin/direct-debits", tags=["operations"])

PROBLEMS: dict[int | str, dict[str, Any]] = {
    422: problem(
        "Validation (the field named), debits-unknown (none of the ids is a collected "
        "debit; the answer lists them) or return-date-in-future; nothing changed"
    )
}


@router.post(
    "/returns",
    summary="Process returned direct debits",
    description=(
        "Each known debit becomes returned with its reason, and its payment is reversed: the "
        "invoice is open again (its reminder steps go on) and PaymentReturned is announced. A debit "
        "returned before is left as it is; unknown end-to-end ids are listed in the answer."
    ),
    responses=PROBLEMS,
)
async def debit_returns(
    body: Annotated[list[DebitReturnIn], Body(min_length=1, max_length=1000)],
    operator: OperatorDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
) -> DebitReturnsOut:
    result = await process_debit_returns(uow, settings, [entry.to_return() for entry in body], now=now)
    log.info(
        "operator processed debit returns",
        operator=operator.name,
        returned=len(result.returned),
        unknown=len(result.unknown),
    )
    return DebitReturnsOut(**result.summary())
