"""/v1/sessions (log in, refresh, log out) and the JWKS of the token-signing keys."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status

from identity.api.deps import ClientKeyDep, NowDep, SettingsDep
from identity.api.schemas import Credentials, RefreshTokenBody, SessionTokens
from identity.use_cases.client_limits import counting_failures
from identity.use_cases.log_in import log_in
from identity.use_cases.sessions import IssuedTokens, end_session, refresh_session
from identity.use_cases.signing_keys import public_jwks
from portal_chassis.deps import UowDep

router = APIRouter(tags=["sessions"])

_PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}
_LOG_IN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong email (or user name) or password (the same answer for both).", **_PROBLEM},
    403: {
        "description": "`account-not-activated` (confirm the email address first) or "
        "`password-change-required`: an account from the old portal; `migration_token` (with "
        "`expires_in` seconds) sets a new password at /v1/legacy-migrations/password.",
        **_PROBLEM,
    },
    423: {
        "description": "Locked after too many failed attempts: `locked_until` in the body, "
        "`Retry-After` header. A password reset unlocks it.",
        **_PROBLEM,
    },
    429: {
        "description": "`too-many-failures`: too many failed attempts from this client over any "
        "accounts; `Retry-After` says when to try again.",
        **_PROBLEM,
    },
}
_REFRESH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {
        "description": "`refresh-token-invalid` (unknown, expired or ended session) or "
        "`refresh-token-reused` (already used: the whole session is ended).",
        **_PROBLEM,
    },
}


def session_body(tokens: IssuedTokens) -> SessionTokens:
    return SessionTokens(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        refresh_token=tokens.refresh_token,
        refresh_expires_in=tokens.refresh_expires_in,
    )


@router.post("/v1/sessions", status_code=status.HTTP_201_CREATED, summary="Log in", responses=_LOG_IN_ERRORS)
async def create_session(
    body: Credentials, uow: UowDep, settings: SettingsDep, now: NowDep, client: ClientKeyDep
) -> SessionTokens:
    async with counting_failures(uow, settings, client, now):
        tokens = await log_in(
            uow,
            settings,
            None if body.email is None else str(body.email),
            body.password,
            username=body.username,
            stay_signed_in=body.stay_signed_in,
            now=now,
        )
    return session_body(tokens)


@router.post(
    "/v1/sessions/refresh",
    summary="Swap a refresh token for a new access and refresh token",
    responses=_REFRESH_ERRORS,
)
async def refresh(body: RefreshTokenBody, uow: UowDep, settings: SettingsDep, now: NowDep) -> SessionTokens:
    return session_body(await refresh_session(uow, settings, body.refresh_token, now))


@router.post(
    "/v1/sessions/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Log out (end the session)"
)
async def logout(body: RefreshTokenBody, uow: UowDep, now: NowDep) -> None:
    await end_session(uow, body.refresh_token, now)  # 204 for an unknown token too


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(uow: UowDep) -> dict[str, list[dict[str, str]]]:
    return await public_jwks(uow)
