"""/v1/admin/accounts: operations find an account by its address and unlock it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, status
from pydantic import EmailStr

from identity.api.deps import NowDep
from identity.api.schemas import AccountForOperations
from identity.use_cases.operations_accounts import find_accounts, unlock_account
from portal_chassis.auth import OperatorDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(prefix="/v1/admin/accounts", tags=["operations"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_UNAUTHENTICATED: dict[str, Any] = {
    "description": "`not-authenticated`: no valid operations token.",
    **_PROBLEM,
}


@router.get(
    "", summary="The account of an email address (a list of at most one)", responses={401: _UNAUTHENTICATED}
)
async def accounts(
    operator: OperatorDep, uow: UowDep, page: PageDep, email: Annotated[EmailStr, Query()]
) -> Page[AccountForOperations]:
    rows, total = await find_accounts(uow, operator, email=str(email), limit=page.limit, offset=page.offset)
    return Page(
        items=[AccountForOperations.model_validate(r) for r in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/{account_id}/unlock",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Lift a lock after failed log-ins before it runs out",
    responses={
        401: _UNAUTHENTICATED,
        404: {"description": "`account-not-found`.", **_PROBLEM},
        409: {"description": "`not-locked`: the account is not locked.", **_PROBLEM},
    },
)
async def unlock(
    account_id: Annotated[str, Path(min_length=1, max_length=36)],
    operator: OperatorDep,
    uow: UowDep,
    now: NowDep,
) -> None:
    await unlock_account(uow, operator, account_id, now=now)
