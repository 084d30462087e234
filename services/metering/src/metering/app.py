"""The metering service: meters, registers and readings."""

from __future__ import annotations

from fastapi import FastAPI

from metering.api import meters, readings
from metering.consumers import handlers
from metering.settings import MeteringSettings
from portal_chassis.app import build_service


def create_app(settings: MeteringSettings | None = None) -> FastAPI:
    settings = settings or MeteringSettings()
    return build_service(
        settings,
        title="Metering",
        description=(
            "Meters and their registers, kept from contracts' events, and the meter readings "
            "customers submit."
        ),
        routers=[readings.router, meters.router],
        handlers=handlers,
        produces=["MeterReadingReceived"],
    )
