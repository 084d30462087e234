"""Contracts' route dependencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Request

from contracts.settings import ContractsSettings
from portal_chassis.calendar import calendar_day
from portal_chassis.deps import service_settings
from portal_chassis.sealing import Sealer

Clock = Callable[[], datetime]


def get_now(request: Request) -> datetime:
    """The current moment from the app's clock (tests replace ``app.state.clock``)."""
    clock: Clock = request.app.state.clock
    return clock()


SettingsDep = Annotated[ContractsSettings, Depends(service_settings(ContractsSettings))]
NowDep = Annotated[datetime, Depends(get_now)]


def get_today(now: NowDep, settings: SettingsDep) -> date:
    return calendar_day(now, settings.zone)


TodayDep = Annotated[date, Depends(get_today)]


def get_sealer(request: Request) -> Sealer | None:
    """The event sealing key's sealer; None where the service runs without one."""
    sealer: Sealer | None = request.app.state.sealer
    return sealer


SealerDep = Annotated[Sealer | None, Depends(get_sealer)]
