"""Identity's route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from identity.settings import IdentitySettings
from portal_chassis.deps import service_settings
from portal_chassis.sealing import Sealer


def get_sealer(request: Request) -> Sealer:
    sealer: Sealer = request.app.state.sealer
    return sealer


SettingsDep = Annotated[IdentitySettings, Depends(service_settings(IdentitySettings))]
SealerDep = Annotated[Sealer, Depends(get_sealer)]
