"""Identity's route dependencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from identity.settings import IdentitySettings
from identity.use_cases.client_limits import client_key
from portal_chassis.deps import service_settings
from portal_chassis.mail_secrets import MailSecretsEncrypter

Clock = Callable[[], datetime]


def get_mail_secrets(request: Request) -> MailSecretsEncrypter:
    mail_secrets: MailSecretsEncrypter = request.app.state.mail_secrets
    return mail_secrets


def get_now(request: Request) -> datetime:
    """The current moment from the app's clock (tests replace ``app.state.clock``)."""
    clock: Clock = request.app.state.clock
    return clock()


SettingsDep = Annotated[IdentitySettings, Depends(service_settings(IdentitySettings))]
MailSecretsDep = Annotated[MailSecretsEncrypter, Depends(get_mail_secrets)]
NowDep = Annotated[datetime, Depends(get_now)]


def get_client_key(request: Request, settings: SettingsDep) -> str:
    """The caller for the spraying limit; uvicorn takes the address from the gateway's
    X-Forwarded-For when the gateway is a trusted proxy (FORWARDED_ALLOW_IPS)."""
    return client_key(settings, request.client.host if request.client else "unknown")


ClientKeyDep = Annotated[str, Depends(get_client_key)]
