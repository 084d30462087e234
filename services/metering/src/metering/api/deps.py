"""Metering's route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from metering.settings import MeteringSettings


def get_settings(request: Request) -> MeteringSettings:
    settings: MeteringSettings = request.app.state.runtime.settings
    return settings


SettingsDep = Annotated[MeteringSettings, Depends(get_settings)]
