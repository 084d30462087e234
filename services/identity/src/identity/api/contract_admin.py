"""Operations' /v1/admin/account-merges and /v1/admin/contract-links (operator token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from identity.api.contract_registrations import contract_out
from identity.api.deps import NowDep
from identity.api.schemas import AccountMergeBody, AccountMergeOut, ContractLinkBody, ContractOut
from identity.use_cases.account_merges import merge_accounts
from identity.use_cases.contract_links import link_by_operations
from portal_chassis.auth import OperatorDep
from portal_chassis.deps import UowDep

router = APIRouter(tags=["operations"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.post(
    "/v1/admin/account-merges",
    summary="Merge two accounts of one person: the second is closed, its contracts move",
    responses={
        404: {"description": "`account-unknown` (`field` names which).", **_PROBLEM},
        409: {"description": "`account-closed`: one of them is already closed.", **_PROBLEM},
        422: {"description": "`merge-same-account` or `validation`.", **_PROBLEM},
    },
)
async def merge(body: AccountMergeBody, operator: OperatorDep, uow: UowDep, now: NowDep) -> AccountMergeOut:
    merged = await merge_accounts(
        uow,
        operator=operator.name,
        keep_account_id=body.keep_account_id,
        merge_account_id=body.merge_account_id,
        now=now,
    )
    return AccountMergeOut(
        kept_account_id=merged.kept_account_id,
        merged_account_id=merged.merged_account_id,
        contracts=[contract_out(access) for access in merged.gained],
    )


@router.post(
    "/v1/admin/contract-links",
    status_code=status.HTTP_201_CREATED,
    summary="Give an account access to a contract (holder or co-holder)",
    responses={
        404: {"description": "`contract-unknown` or `account-unknown`.", **_PROBLEM},
        409: {"description": "`contract-already-linked` or `account-closed`.", **_PROBLEM},
    },
)
async def link(body: ContractLinkBody, operator: OperatorDep, uow: UowDep, now: NowDep) -> ContractOut:
    access = await link_by_operations(
        uow,
        operator=operator.name,
        account_id=body.account_id,
        contract_number=body.contract_number,
        role=body.role,
        now=now,
    )
    return contract_out(access)
