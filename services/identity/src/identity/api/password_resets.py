"""/v1/password-resets: forgotten password."""

from __future__ import annotations

from fastapi import APIRouter, status

from identity.api.deps import NowDep, SealerDep, SettingsDep
from identity.api.schemas import Accepted, PasswordResetConfirmation, PasswordResetRequest
from identity.use_cases.password_reset import confirm_password_reset, request_password_reset
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/password-resets", tags=["password reset"])

ACCEPTED = Accepted(detail="If an account exists for this address, an email with a reset link is on its way.")


@router.post("", status_code=status.HTTP_202_ACCEPTED, summary="Ask for a reset link")
async def request_reset(
    body: PasswordResetRequest, uow: UowDep, settings: SettingsDep, sealer: SealerDep, now: NowDep
) -> Accepted:
    await request_password_reset(uow, settings, sealer, str(body.email), now=now)
    return ACCEPTED  # the same answer whether the account exists, and whether it is throttled


@router.post(
    "/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Set a new password with the token (also unlocks the account and ends its sessions)",
)
async def confirm_reset(body: PasswordResetConfirmation, uow: UowDep, now: NowDep) -> None:
    await confirm_password_reset(uow, body.token, body.new_password, now=now)
