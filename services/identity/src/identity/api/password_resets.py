"""/v1/password-resets: forgotten password (web: email; app: user name and email)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from identity.api.deps import MailSecretsDep, NowDep, SettingsDep
from identity.api.schemas import Accepted, PasswordResetConfirmation, PasswordResetRequest, SessionTokens
from identity.api.sessions import session_body
from identity.use_cases.password_reset import (
    confirm_password_reset,
    confirm_password_reset_with_code,
    request_password_reset,
)
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/password-resets", tags=["password reset"])

ACCEPTED = Accepted(
    detail="If an account exists for these details, an email with a reset link is on its way."
)

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_CONFIRM_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "`reset-token-invalid` (unknown, used, replaced or expired link) or "
        "`reset-code-invalid` (wrong, expired or dead code, or no reset for this address: one "
        "answer for all).",
        **_PROBLEM,
    },
    422: {
        "description": "`password-rejected` (`rules` lists every rule the password fails; the "
        "link or code still works) or `validation`.",
        **_PROBLEM,
    },
}


@router.post("", status_code=status.HTTP_202_ACCEPTED, summary="Ask for a reset mail (link and code)")
async def request_reset(
    body: PasswordResetRequest, uow: UowDep, settings: SettingsDep, mail_secrets: MailSecretsDep, now: NowDep
) -> Accepted:
    await request_password_reset(
        uow, settings, mail_secrets, str(body.email), username=body.username, now=now
    )
    # The same answer whether the account exists, whether the user name fits, and whether it
    # is throttled.
    return ACCEPTED


@router.post(
    "/confirm",
    summary="Set a new password with the link's token or the mail's code; answers a new session "
    "(also unlocks the account and ends its other sessions)",
    responses=_CONFIRM_ERRORS,
)
async def confirm_reset(
    body: PasswordResetConfirmation, uow: UowDep, settings: SettingsDep, now: NowDep
) -> SessionTokens:
    if body.token is not None:
        tokens = await confirm_password_reset(
            uow, settings, body.token, body.new_password, now=now, stay_signed_in=body.stay_signed_in
        )
    else:
        assert body.email is not None and body.code is not None  # the schema allows no other way
        tokens = await confirm_password_reset_with_code(
            uow,
            settings,
            str(body.email),
            body.code,
            body.new_password,
            now=now,
            stay_signed_in=body.stay_signed_in,
        )
    return session_body(tokens)
