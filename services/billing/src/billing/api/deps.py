"""Billing's route dependencies, in one place for the routers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends

from billing.settings import BillingSettings
from portal_chassis.auth import CustomerDep
from portal_chassis.deps import UowDep, service_settings

SettingsDep = Annotated[BillingSettings, Depends(service_settings(BillingSettings))]


def get_now() -> datetime:
    """The current moment; tests override this dependency to act on a chosen day."""
    return datetime.now(UTC)


NowDep = Annotated[datetime, Depends(get_now)]

__all__ = ["CustomerDep", "NowDep", "SettingsDep", "UowDep"]
