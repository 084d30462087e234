"""/v1/sessions (log in) and the JWKS of the token-signing keys."""

from __future__ import annotations

from fastapi import APIRouter, status

from identity.api.deps import SettingsDep
from identity.api.schemas import Credentials, SessionTokens
from identity.use_cases.sessions import log_in, public_jwks
from portal_chassis.deps import UowDep

router = APIRouter(tags=["sessions"])


@router.post("/v1/sessions", status_code=status.HTTP_201_CREATED, summary="Log in")
async def create_session(body: Credentials, uow: UowDep, settings: SettingsDep) -> SessionTokens:
    token, expires_in = await log_in(uow, settings, str(body.email), body.password)
    return SessionTokens(access_token=token, expires_in=expires_in)


@router.get("/.well-known/jwks.json", summary="Public keys that verify access tokens")
async def jwks(uow: UowDep) -> dict[str, list[dict[str, str]]]:
    return await public_jwks(uow)
