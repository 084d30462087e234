"""Billing's route dependencies, in one place for the routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from billing.settings import BillingSettings
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep, service_settings

SettingsDep = Annotated[BillingSettings, Depends(service_settings(BillingSettings))]

__all__ = ["CustomerDep", "SettingsDep", "UowDep"]
