"""Identity's route dependencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from identity.settings import IdentitySettings
from identity.use_cases.client_limits import client_key
from portal_chassis.deps import service_settings
from portal_chassis.sealing import Sealer

Clock = Callable[[], datetime]


def get_sealer(request: Request) -> Sealer:
    sealer: Sealer = request.app.state.sealer
    return sealer


def get_now(request: Request) -> datetime:
    """The current moment from the app's clock (tests replace ``app.state.clock``)."""
    clock: Clock = request.app.state.clock
    return clock()


SettingsDep = Annotated[IdentitySettings, Depends(service_settings(IdentitySettings))]
SealerDep = Annotated[Sealer, Depends(get_sealer)]
NowDep = Annotated[datetime, Depends(get_now)]


def get_client_key(request: Request, settings: SettingsDep) -> str:
    """The caller for the spraying limit; uvicorn takes the address from the gateway's
    X-Forwarded-For when the gateway is a trusted proxy (FORWARDED_ALLOW_IPS)."""
    return client_key(settings, request.client.host if request.client else "unknown")


ClientKeyDep = Annotated[str, Depends(get_client_key)]
