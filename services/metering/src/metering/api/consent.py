"""/v1/contracts/{contract_id}/smart-meter-consent: see, give and withdraw the consent to read
a contract's smart meter remotely."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from metering.api.consent_schemas import ConsentGrant, ConsentOut
from metering.api.deps import SettingsDep
from metering.use_cases.consent import ConsentView, consent_of, grant_consent, revoke_consent
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/contracts/{contract_id}/smart-meter-consent", tags=["smart-meter consent"])

ContractId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get(
    "",
    summary="The contract's smart-meter consent",
    description="Problems: 404 contract-not-found (also for another customer's contract).",
)
async def get_consent(
    contract_id: ContractId, customer: CustomerDep, uow: UowDep, settings: SettingsDep
) -> ConsentOut:
    view = await consent_of(uow, settings, customer_number=customer.customer_number, contract_id=contract_id)
    return _out(view)


@router.put(
    "",
    summary="Give consent to read the smart meter remotely",
    description=(
        "For the terms in force. The hub is asked for the connection's data since the contract's "
        "start (backfill); it shows within data_expected_by. Giving it again while it is granted "
        "for these terms changes nothing.\n\n"
        "Problems: 404 contract-not-found; 409 no-smart-meter, contract-ended; 422 "
        "terms-version-outdated (with current_terms_version), consent-not-needed (heat), validation."
    ),
)
async def put_consent(
    contract_id: ContractId, body: ConsentGrant, customer: CustomerDep, uow: UowDep, settings: SettingsDep
) -> ConsentOut:
    view = await grant_consent(
        uow,
        settings,
        customer_number=customer.customer_number,
        contract_id=contract_id,
        terms_version=body.terms_version,
    )
    return _out(view)


@router.delete(
    "",
    summary="Withdraw the consent",
    description=(
        "Remote reading stops and every interval and consumption figure received from the smart "
        "meter is deleted. Withdrawing a consent that is not given changes nothing.\n\n"
        "Problems: 404 contract-not-found; 422 consent-not-needed (heat)."
    ),
)
async def delete_consent(
    contract_id: ContractId, customer: CustomerDep, uow: UowDep, settings: SettingsDep
) -> ConsentOut:
    view = await revoke_consent(
        uow, settings, customer_number=customer.customer_number, contract_id=contract_id
    )
    return _out(view)


def _out(view: ConsentView) -> ConsentOut:
    return ConsentOut.model_validate(view, from_attributes=True)
