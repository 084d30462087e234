"""FastAPI dependencies shared by every service's routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from portal_chassis.runtime import ServiceRuntime
from portal_chassis.uow import UnitOfWork


def get_runtime(request: Request) -> ServiceRuntime:
    runtime: ServiceRuntime = request.app.state.runtime
    return runtime


async def get_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    async with get_runtime(request).new_uow() as uow:
        yield uow


RuntimeDep = Annotated[ServiceRuntime, Depends(get_runtime)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
