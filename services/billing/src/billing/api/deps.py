"""Billing's route dependencies, in one place for the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from billing.settings import BillingSettings
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep


def get_settings(request: Request) -> BillingSettings:
    settings: BillingSettings = request.app.state.runtime.settings
    return settings


SettingsDep = Annotated[BillingSettings, Depends(get_settings)]

__all__ = ["CustomerDep", "SettingsDep", "UowDep"]
