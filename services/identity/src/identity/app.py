"""The identity service: accounts, credentials, sessions and password resets."""

from __future__ import annotations

from fastapi import FastAPI

from identity.api import password_resets, sessions
from identity.settings import IdentitySettings
from identity.use_cases.sessions import ensure_signing_key
from portal_chassis.app import build_service
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.sealing import Sealer


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    if settings.event_sealing_key is None:
        raise RuntimeError("EVENT_SEALING_KEY is required: reset tokens travel sealed in events")

    async def signing_key(runtime: ServiceRuntime) -> None:
        async with runtime.new_uow() as uow:
            await ensure_signing_key(uow)

    app = build_service(
        settings,
        title="Identity",
        description="Accounts, log-in, password resets and the keys that sign access tokens.",
        routers=[password_resets.router, sessions.router],
        produces=["AccountCreated", "PasswordResetRequested"],
        on_startup=[signing_key],
    )
    app.state.sealer = Sealer(settings.event_sealing_key.get_secret_value())
    return app
