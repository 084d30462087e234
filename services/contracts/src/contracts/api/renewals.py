"""POST /v1/contracts/{id}/renewal: the customer accepts the renewal proposal."""

from __future__ import annotations

from fastapi import APIRouter

from contracts.api.deps import NowDep, SettingsDep
from contracts.api.schemas import RenewalAcceptance, RenewalOut
from contracts.use_cases.renewals import accept_renewal
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/contracts/{contract_id}", tags=["renewals"])


@router.post(
    "/renewal",
    summary="Accept the renewal proposal: a new fixed term on the chosen product",
    responses={
        404: {"description": "No such contract for this customer"},
        409: {"description": "No open renewal proposal (problem type no-open-renewal)"},
        422: {"description": "Not a fixed-term product on sale for this commodity"},
    },
)
async def renew(
    contract_id: str,
    body: RenewalAcceptance,
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    now: NowDep,
) -> RenewalOut:
    terms = await accept_renewal(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        product_code=body.product_code,
        now=now,
    )
    assert terms.fixed_term_end is not None
    return RenewalOut(
        contract_id=contract_id,
        product_code=terms.product_code,
        fixed_term_end=terms.fixed_term_end,
        effective_from=terms.effective_from,
    )
