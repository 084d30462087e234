"""Metering's route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from metering.settings import MeteringSettings
from portal_chassis.deps import service_settings

SettingsDep = Annotated[MeteringSettings, Depends(service_settings(MeteringSettings))]
