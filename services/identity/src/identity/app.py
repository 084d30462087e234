"""The identity service: accounts, credentials, sessions and password resets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

from identity.api import (
    access_requests,
    account_settings,
    admin_accounts,
    contract_admin,
    contract_registrations,
    legacy_migrations,
    my_contracts,
    password_resets,
    registrations,
    sessions,
)
from identity.consumers import event_handlers
from identity.settings import IdentitySettings
from identity.use_cases.signing_keys import ensure_signing_key, public_jwks
from portal_chassis.app import build_service
from portal_chassis.auth import JwksCache
from portal_chassis.mail_secrets import MailSecretsEncrypter
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.sealing import Sealer


def create_app(settings: IdentitySettings | None = None) -> FastAPI:
    settings = settings or IdentitySettings()
    if settings.event_sealing_key is None:
        raise RuntimeError(
            "EVENT_SEALING_KEY is required: registration codes arrive sealed in contracts' events"
        )
    if settings.mail_secrets_public_key is None:
        raise RuntimeError(
            "IDENTITY_MAIL_SECRETS_PUBLIC_KEY is required: reset and activation secrets travel in "
            "events encrypted for notifications"
        )
    mail_secrets = MailSecretsEncrypter(settings.mail_secrets_public_key)  # a bad key fails here

    async def signing_key(runtime: ServiceRuntime) -> None:
        async with runtime.new_uow() as uow:
            await ensure_signing_key(uow)

    # Before the app: the consumers open sealed registration codes with it.
    sealer = Sealer(settings.event_sealing_key.get_secret_value())
    app = build_service(
        settings,
        title="Identity",
        description=(
            "Registration of private customers with email confirmation, accounts, log-in with "
            "lockout, sessions with refresh tokens, password resets, account settings (password, "
            "login address, preferences), portal access requests decided by operations, and the "
            "keys that sign access tokens."
        ),
        routers=[
            registrations.router,
            password_resets.router,
            sessions.router,
            legacy_migrations.router,
            account_settings.router,
            access_requests.router,
            access_requests.admin,
            admin_accounts.router,
            contract_registrations.router,
            my_contracts.router,
            contract_admin.router,
        ],
        handlers=event_handlers(sealer),
        produces=[
            "AccountActivated",
            "AccountLocked",
            "AccountRegistered",
            "AccountsMerged",
            "AccountUnlocked",
            "ActivationRequested",
            "ContractLinked",
            "EmailChangeRequested",
            "EmailChanged",
            "PasswordChanged",
            "PasswordResetRequested",
            "PortalAccessApproved",
            "PortalAccessRefused",
            "PortalAccessRequested",
            "PreferencesChanged",
        ],
        on_startup=[signing_key],
    )
    runtime: ServiceRuntime = app.state.runtime

    async def own_keys() -> dict[str, Any]:
        async with runtime.new_uow() as uow:
            return await public_jwks(uow)

    # No HTTP call to itself; a retired key stops working within the cache time, as elsewhere.
    app.state.jwks = JwksCache(settings.jwks_url, loader=own_keys, ttl_seconds=settings.jwks_cache_seconds)
    app.state.mail_secrets = mail_secrets
    app.state.clock = lambda: datetime.now(UTC)  # tests move it
    return app
