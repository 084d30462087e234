"""FastAPI dependencies shared by every service's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from fastapi import Depends, Request

from portal_chassis.runtime import ServiceRuntime
from portal_chassis.settings import ServiceSettings
from portal_chassis.uow import UnitOfWork

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    async with get_runtime(request).new_uow() as uow:
        yield uow


def settings_of(request: Request) -> ServiceSettings:
    """The settings the running service was built with."""
    return get_runtime(request).settings


def service_settings(kind: type[SettingsT]) -> Callable[[Request], SettingsT]:
    """A dependency that hands a route its service's own settings class, typed. Per service::

    SettingsDep = Annotated[IdentitySettings, Depends(service_settings(IdentitySettings))]
    """

    def dependency(request: Request) -> SettingsT:
        settings = settings_of(request)
        if not isinstance(settings, kind):
            raise TypeError(f"the service runs with {type(settings).__name__}, not {kind.__name__}")
        return settings

    dependency.__name__ = f"{kind.__name__.lower()}_of"
    return dependency


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
