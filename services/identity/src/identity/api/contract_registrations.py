"""/v1/registrations/contract-code and /v1/registrations/invoice: registering with proof of a
contract (a registration letter's code, or the latest invoice) instead of customer number and
postcode."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from identity.api.deps import ClientKeyDep, MailSecretsDep, NowDep, SettingsDep
from identity.api.registrations import REGISTERED
from identity.api.schemas import Accepted, ContractCodeRegistration, ContractOut, InvoiceRegistration
from identity.use_cases.client_limits import counting_failures
from identity.use_cases.contract_links import ContractAccess
from identity.use_cases.contract_registration import Proof, by_code, by_invoice, register_with_proof
from portal_chassis.deps import UowDep
from portal_schemas.identity import RegistrationMethod
from portal_schemas.types import Language

router = APIRouter(tags=["registration"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {
        "model": ContractOut,
        "description": "The address has an active account and the password was "
        "that account's: the contract is added to it.",
    },
    401: {
        "description": "`registration-password-mismatch`: the address has an account and the password "
        "is not its password (counts as a failed log-in; the registration code stays unused).",
        **_PROBLEM,
    },
    409: {"description": "`contract-already-linked`: that account already has the contract.", **_PROBLEM},
    422: {
        "description": "`registration-not-matched` (unknown contract, wrong/expired/used code or not "
        "the latest invoice: one answer for all), `business-customer`, `password-rejected` or "
        "`validation`.",
        **_PROBLEM,
    },
    423: {"description": "`account-locked`: the existing account is locked.", **_PROBLEM},
    429: {"description": "`too-many-failures` from this client.", **_PROBLEM},
}


def contract_out(access: ContractAccess) -> ContractOut:
    return ContractOut(
        contract_number=access.contract_number,
        contract_id=access.contract_id,
        customer_number=access.customer_number,
        role=access.role,
        via=access.via,
        linked_at=access.linked_at,
    )


async def _register(
    uow: UowDep,
    settings: SettingsDep,
    mail_secrets: MailSecretsDep,
    now: NowDep,
    client: ClientKeyDep,
    response: Response,
    proof: Proof,
    *,
    method: RegistrationMethod,
    email: str,
    password: str,
    language: Language | None,
) -> Accepted | ContractOut:
    async with counting_failures(uow, settings, client, now):
        outcome = await register_with_proof(
            uow,
            settings,
            mail_secrets,
            proof,
            method=method,
            email=email,
            password=password,
            language=language,
            now=now,
        )
    if outcome.linked is not None:
        response.status_code = status.HTTP_200_OK
        return contract_out(outcome.linked)
    return REGISTERED


@router.post(
    "/v1/registrations/contract-code",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register with the contract number and the code of a registration letter",
    responses=_ERRORS,
)
async def register_with_contract_code(
    body: ContractCodeRegistration,
    uow: UowDep,
    settings: SettingsDep,
    mail_secrets: MailSecretsDep,
    now: NowDep,
    client: ClientKeyDep,
    response: Response,
) -> Accepted | ContractOut:
    return await _register(
        uow, settings, mail_secrets, now, client, response,
        by_code(body.contract_number, body.registration_code),
        method="contract_code", email=str(body.email), password=body.password, language=body.language,
    )  # fmt: skip


@router.post(
    "/v1/registrations/invoice",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register with the contract number and the number and amount of its latest invoice",
    responses=_ERRORS,
)
async def register_with_invoice(
    body: InvoiceRegistration,
    uow: UowDep,
    settings: SettingsDep,
    mail_secrets: MailSecretsDep,
    now: NowDep,
    client: ClientKeyDep,
    response: Response,
) -> Accepted | ContractOut:
    return await _register(
        uow, settings, mail_secrets, now, client, response,
        by_invoice(body.contract_number, body.invoice_number, body.amount),
        method="invoice", email=str(body.email), password=body.password, language=body.language,
    )  # fmt: skip
