"""The metering service: meters, registers and readings."""

from __future__ import annotations

from fastapi import FastAPI

from metering.api import admin_readings, consent, consumption, meters, readings
from metering.consumers import build_batch_handlers, build_handlers
from metering.settings import MeteringSettings
from portal_chassis.app import build_service


def create_app(settings: MeteringSettings | None = None) -> FastAPI:
    settings = settings or MeteringSettings()
    return build_service(
        settings,
        title="Metering",
        description=(
            "Meters and their registers, kept from contracts' events and the grid operators' hub, "
            "the meter readings customers submit and operations record, reading reminders and "
            "final-reading requests, smart-meter consent and the hub's interval feed, and the "
            "consumption views and export built from it."
        ),
        routers=[readings.router, meters.router, admin_readings.router, consumption.router, consent.router],
        handlers=build_handlers(settings),
        batch_handlers=build_batch_handlers(settings),
        produces=[
            "MeterReadingReceived",
            "ReadingReminderDue",
            "FinalReadingRequested",
            "SmartMeterConsentGranted",
            "SmartMeterConsentRevoked",
            "SmartMeterReconsentNeeded",
            "SmartMeterDataRequested",
        ],
    )
