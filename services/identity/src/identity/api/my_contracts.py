"""/v1/me/contracts: the contracts the logged-in account reaches, and adding one with the code
of a registration letter."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from identity.api.contract_registrations import contract_out
from identity.api.deps import ClientKeyDep, NowDep, SettingsDep
from identity.api.schemas import AddContract, ContractOut
from identity.use_cases.client_limits import counting_failures
from identity.use_cases.contract_links import contracts_of
from identity.use_cases.contract_registration import add_contract, by_code
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep
from portal_chassis.pagination import Page, PageDep

router = APIRouter(tags=["contracts"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}


@router.get("/v1/me/contracts", summary="The contracts this account can see and manage")
async def my_contracts(principal: CustomerDep, uow: UowDep, page: PageDep) -> Page[ContractOut]:
    every = await contracts_of(uow, principal.account_id)
    return Page(
        items=[contract_out(access) for access in every[page.offset : page.offset + page.limit]],
        total=len(every),
        limit=page.limit,
        offset=page.offset,
    )


@router.post(
    "/v1/me/contracts",
    status_code=status.HTTP_201_CREATED,
    summary="Add a contract with the code of its registration letter",
    responses={
        409: {"description": "`contract-already-linked`: the account already has it.", **_PROBLEM},
        422: {
            "description": "`registration-not-matched` (unknown contract, wrong, expired or used "
            "code: one answer for all), `business-customer` or `validation`.",
            **_PROBLEM,
        },
        429: {"description": "`too-many-failures` from this client.", **_PROBLEM},
    },
)
async def add_my_contract(
    body: AddContract,
    principal: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
    client: ClientKeyDep,
) -> ContractOut:
    async with counting_failures(uow, settings, client, now):
        access = await add_contract(
            uow,
            principal.account_id,
            by_code(body.contract_number, body.registration_code),
            via="contract_code",
            now=now,
        )
    return contract_out(access)
