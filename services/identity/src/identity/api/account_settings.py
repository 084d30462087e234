"""/v1/me and /v1/email-changes: the signed-in customer's profile, password, login address and
preferences."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status

from identity.api.deps import MailSecretsDep, NowDep, SettingsDep
from identity.api.schemas import (
    Accepted,
    EmailChangeConfirmation,
    EmailChangeRequest,
    PasswordChange,
    PendingEmailChange,
    Preferences,
    Profile,
)
from identity.use_cases import account_settings
from identity.use_cases.email_change import (
    confirm_email_change_with_code,
    confirm_email_change_with_token,
    request_email_change,
)
from portal_chassis.auth import CustomerDep, current_principal
from portal_chassis.deps import UowDep

router = APIRouter(tags=["account settings"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_SIGNED_IN: dict[int | str, dict[str, Any]] = {
    401: {"description": "`not-authenticated`: no valid access token.", **_PROBLEM},
}
_REAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "`not-authenticated`, or `wrong-password`: the current password is not "
        "right (it counts as a failed log-in towards the lock).",
        **_PROBLEM,
    },
    423: {
        "description": "`account-locked`: too many wrong passwords (`locked_until`, `Retry-After`).",
        **_PROBLEM,
    },
}
_CONFIRM_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "description": "`email-change-invalid`: unknown, used, replaced or expired link or code; "
        "after a wrong code `attempts_left` says how many remain (the last one ends the request).",
        **_PROBLEM,
    },
    401: {"description": "`not-authenticated`: a code needs the account's access token.", **_PROBLEM},
    409: {
        "description": "`email-taken`: the new address now belongs to another account; nothing changed.",
        **_PROBLEM,
    },
}

EMAIL_CHANGE_REQUESTED = Accepted(
    detail="Check the mailbox of the new address: confirm it with the link or the code we sent. "
    "Until then you log in with your current address."
)


def _preferences(prefs: account_settings.Preferences) -> Preferences:
    return Preferences(
        language=prefs.language,
        offers=prefs.offers,
        news=prefs.news,
        energy_saving_advice=prefs.energy_saving_advice,
        time_zone=prefs.time_zone,
    )


@router.get("/v1/me", summary="My account: login address, customer number, preferences", responses=_SIGNED_IN)
async def me(customer: CustomerDep, uow: UowDep, now: NowDep) -> Profile:
    profile = await account_settings.my_profile(uow, customer, now=now)
    pending = profile.pending_email_change
    return Profile(
        email=profile.email,
        customer_number=profile.customer_number,
        status=profile.status,
        preferences=_preferences(profile.preferences),
        pending_email_change=None
        if pending is None
        else PendingEmailChange(new_email=pending.new_email, expires_at=pending.expires_at),
    )


@router.post(
    "/v1/me/password",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Change my password (ends my other sessions; this one stays)",
    responses={
        **_REAUTHENTICATED,
        422: {
            "description": "`password-rejected` (`rules` lists every rule the new password fails) "
            "or `validation`.",
            **_PROBLEM,
        },
    },
)
async def change_password(
    body: PasswordChange, customer: CustomerDep, uow: UowDep, settings: SettingsDep, now: NowDep
) -> None:
    await account_settings.change_password(
        uow,
        settings,
        customer,
        current_password=body.current_password,
        new_password=body.new_password,
        now=now,
    )


@router.post(
    "/v1/me/email-change",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Ask to log in with another address (confirmed from the new mailbox)",
    responses={
        **_REAUTHENTICATED,
        422: {"description": "`email-unchanged` (already the login address) or `validation`.", **_PROBLEM},
    },
)
async def ask_email_change(
    body: EmailChangeRequest,
    customer: CustomerDep,
    uow: UowDep,
    settings: SettingsDep,
    mail_secrets: MailSecretsDep,
    now: NowDep,
) -> Accepted:
    await request_email_change(
        uow, settings, mail_secrets, customer, password=body.password, new_email=str(body.new_email), now=now
    )
    return EMAIL_CHANGE_REQUESTED  # also when the address has an account: that is not revealed


@router.post(
    "/v1/email-changes/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Confirm the new login address with the link's token (no log-in needed) or with the "
    "code (send the account's access token)",
    responses=_CONFIRM_ERRORS,
)
async def confirm_email_change(
    body: EmailChangeConfirmation, request: Request, uow: UowDep, settings: SettingsDep, now: NowDep
) -> None:
    if body.token is not None:
        await confirm_email_change_with_token(uow, body.token, now=now)
    else:
        assert body.code is not None  # the body's validator
        # A code is short: only the signed-in owner of the request may try it.
        customer = await current_principal(request)
        await confirm_email_change_with_code(uow, settings, customer, body.code, now=now)


@router.get("/v1/me/preferences", summary="My language and what I want to hear about", responses=_SIGNED_IN)
async def get_preferences(customer: CustomerDep, uow: UowDep) -> Preferences:
    return _preferences(await account_settings.my_preferences(uow, customer))


@router.put(
    "/v1/me/preferences",
    summary="Set my language, time zone and what I want to hear about (service mails always come)",
    responses={
        **_SIGNED_IN,
        422: {"description": "`validation`: e.g. an unknown language or time zone.", **_PROBLEM},
    },
)
async def put_preferences(body: Preferences, customer: CustomerDep, uow: UowDep, now: NowDep) -> Preferences:
    wanted = account_settings.Preferences(
        language=body.language,
        offers=body.offers,
        news=body.news,
        energy_saving_advice=body.energy_saving_advice,
        time_zone=body.time_zone,
    )
    # Left out, the time zone stays; null is a choice too: the supplier's.
    keep = "time_zone" not in body.model_fields_set
    return _preferences(
        await account_settings.change_preferences(uow, customer, wanted, now=now, keep_time_zone=keep)
    )
