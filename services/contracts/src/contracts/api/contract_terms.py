"""/v1/contracts/{id}/options and /tariff-switch: the customer changes their own contract."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from contracts.api.deps import NowDep, TodayDep
from contracts.api.overview_schemas import OptionsChange, TariffSwitchRequest, TermsOut
from contracts.domain.terms import OptionChange
from contracts.use_cases.contract_terms import change_options, switch_tariff
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/contracts/{contract_id}", tags=["options and tariffs"])

ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such contract for this customer"},
    409: {"description": "The contract is terminating or ended (contract-not-active)"},
    422: {
        "description": "Invalid change: past date, option of another commodity (invalid-amendment), "
        "self-reading with the meter not indoors (self-reading-unavailable), unknown product or "
        "one of another commodity (unknown-product)"
    },
}


@router.patch("/options", summary="Change options from today or a later day", responses=ERRORS)
async def change_my_options(
    contract_id: str, body: OptionsChange, customer: CustomerDep, uow: UowDep, today: TodayDep, now: NowDep
) -> TermsOut:
    terms = await change_options(
        uow,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        change=OptionChange(
            green_electricity=body.green_electricity,
            e_invoice=body.e_invoice,
            self_reading=body.self_reading,
            gas_source=body.gas_source,
        ),
        effective=body.effective_date,
        today=today,
        now=now,
    )
    return TermsOut.of(terms)


@router.post("/tariff-switch", status_code=201, summary="Switch to another product", responses=ERRORS)
async def switch_my_tariff(
    contract_id: str,
    body: TariffSwitchRequest,
    customer: CustomerDep,
    uow: UowDep,
    today: TodayDep,
    now: NowDep,
) -> TermsOut:
    terms = await switch_tariff(
        uow,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        product_code=body.product_code,
        effective=body.effective_date,
        today=today,
        now=now,
    )
    return TermsOut.of(terms)
