"""Contracts' route dependencies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Request

from contracts.domain.calendar import calendar_day
from contracts.settings import ContractsSettings

Clock = Callable[[], datetime]


def get_settings(request: Request) -> ContractsSettings:
    settings: ContractsSettings = request.app.state.runtime.settings
    return settings


def get_now(request: Request) -> datetime:
    """The current moment from the app's clock (tests replace ``app.state.clock``)."""
    clock: Clock = request.app.state.clock
    return clock()


SettingsDep = Annotated[ContractsSettings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]


def get_today(now: NowDep, settings: SettingsDep) -> date:
    return calendar_day(now, settings.zone)


TodayDep = Annotated[date, Depends(get_today)]
