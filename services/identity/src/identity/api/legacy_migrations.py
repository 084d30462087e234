"""/v1/legacy-migrations: a customer of the old portal chooses a new password."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from identity.api.deps import MailSecretsDep, NowDep, SettingsDep
from identity.api.schemas import Accepted, LegacyPasswordBody
from identity.use_cases.legacy import set_legacy_password
from portal_chassis.deps import UowDep

router = APIRouter(prefix="/v1/legacy-migrations", tags=["legacy migration"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "`migration-token-invalid`: unknown, expired or used token (log in with "
        "the old password again for a new one).",
        **_PROBLEM,
    },
    422: {
        "description": "`password-rejected` (`rules` lists every rule the password fails; the "
        "token still works) or `validation`.",
        **_PROBLEM,
    },
}

PASSWORD_SET = Accepted(
    detail="Your new password is set. Check your mailbox: confirm your email address with the "
    "link or the code we sent, then log in with the new password."
)


@router.post(
    "/password",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Set a new password with the migration token of a first log-in from the old portal",
    responses=_ERRORS,
)
async def set_password(
    body: LegacyPasswordBody, uow: UowDep, settings: SettingsDep, mail_secrets: MailSecretsDep, now: NowDep
) -> Accepted:
    await set_legacy_password(uow, settings, mail_secrets, body.migration_token, body.new_password, now=now)
    return PASSWORD_SET
