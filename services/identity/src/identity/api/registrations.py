"""/v1/registrations and /v1/activations: a private customer opens a portal account."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from identity.api.deps import ClientKeyDep, MailSecretsDep, NowDep, SettingsDep
from identity.api.schemas import Accepted, ActivationBody, Registration, ResendActivation
from identity.use_cases.client_limits import counting_failures
from identity.use_cases.registration import (
    activate_with_code,
    activate_with_token,
    register,
    resend_activation,
)
from portal_chassis.deps import UowDep

router = APIRouter(tags=["registration"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_REGISTRATION_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "`registration-not-matched` (customer number and postcode do not belong "
        "together; the same answer for either being wrong), `business-customer` (the portal is "
        "for private customers) or `validation`.",
        **_PROBLEM,
    },
    429: {
        "description": "`too-many-failures`: too many wrong guesses from this client; see `Retry-After`.",
        **_PROBLEM,
    },
}
_ACTIVATION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "`activation-invalid`: unknown, expired, used or replaced token or code. "
        "After a wrong code `attempts_left` says how many remain; the last one cancels the "
        "activation (ask for a new mail).",
        **_PROBLEM,
    },
}

REGISTERED = Accepted(
    detail="Check your mailbox: we sent a link and a code to confirm your email address. Your "
    "account works once it is confirmed."
)
RESENT = Accepted(
    detail="If this address has an account waiting for confirmation, a new link and code are on "
    "their way (at most one mail every 15 minutes)."
)


@router.post(
    "/v1/registrations",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Register with customer number and postcode",
    responses=_REGISTRATION_ERRORS,
)
async def create_registration(
    body: Registration,
    uow: UowDep,
    settings: SettingsDep,
    mail_secrets: MailSecretsDep,
    now: NowDep,
    client: ClientKeyDep,
) -> Accepted:
    async with counting_failures(uow, settings, client, now):  # guessing customer numbers
        await register(
            uow,
            settings,
            mail_secrets,
            customer_number=body.customer_number,
            postcode=body.postcode,
            email=str(body.email),
            password=body.password,
            language=body.language,
            now=now,
        )
    return REGISTERED  # also when the address already has an account: that is not revealed


@router.post(
    "/v1/activations",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Confirm the email address with the link's token or with the code",
    responses=_ACTIVATION_ERRORS,
)
async def activate(body: ActivationBody, uow: UowDep, settings: SettingsDep, now: NowDep) -> None:
    if body.token is not None:
        await activate_with_token(uow, body.token, now=now)
    else:
        assert body.email is not None and body.code is not None  # the body's validator
        await activate_with_code(uow, settings, str(body.email), body.code, now=now)


@router.post(
    "/v1/activations/resend",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a new activation link and code (the old ones stop working)",
)
async def resend(
    body: ResendActivation, uow: UowDep, settings: SettingsDep, mail_secrets: MailSecretsDep, now: NowDep
) -> Accepted:
    await resend_activation(uow, settings, mail_secrets, str(body.email), now=now)
    return RESENT  # the same answer whatever the address, and when throttled
