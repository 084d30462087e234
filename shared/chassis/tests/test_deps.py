"""Routes get their service's own settings class from the running service."""

# No "from __future__ import annotations": FastAPI must see the local Annotated alias itself.

from types import SimpleNamespace
from typing import Annotated, ClassVar

import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from pydantic_settings import SettingsConfigDict

from portal_chassis.deps import service_settings, settings_of
from portal_chassis.settings import ServiceSettings


class OtherSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OTHER_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "other"


def app_with(settings: ServiceSettings, kind: type[ServiceSettings]) -> FastAPI:
    app = FastAPI()
    app.state.runtime = SimpleNamespace(settings=settings)
    SettingsDep = Annotated[kind, Depends(service_settings(kind))]  # type: ignore[valid-type]

    @app.get("/zone")
    async def zone(settings: SettingsDep, request: Request) -> dict[str, str]:  # type: ignore[valid-type]
        assert settings_of(request) is settings
        return {"service": settings.service_name, "zone": settings.timezone}

    return app


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.get(path)


async def test_a_route_gets_the_settings_of_its_service(settings) -> None:
    response = await get(app_with(settings, type(settings)), "/zone")
    assert response.json() == {"service": "demo", "zone": "Europe/Amsterdam"}


async def test_settings_of_another_service_are_a_programming_error(settings) -> None:
    with pytest.raises(TypeError, match="not OtherSettings"):
        await get(app_with(settings, OtherSettings), "/zone")
