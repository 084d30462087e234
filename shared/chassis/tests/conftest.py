from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic_settings import SettingsConfigDict

from portal_chassis.runtime import ServiceRuntime
from portal_chassis.settings import ServiceSettings
from portal_schemas.metering import MeterReadingReceived


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "demo"


_runtimes: list[ServiceRuntime] = []


def new_runtime(settings: ServiceSettings) -> ServiceRuntime:
    """A runtime whose database connections are closed when the test ends (see below)."""
    runtime = ServiceRuntime.create(settings)
    _runtimes.append(runtime)
    return runtime


@pytest.fixture(autouse=True)
async def _dispose_engines() -> AsyncIterator[None]:
    """Close each test's database connections while its event loop still runs (an aiosqlite
    connection collected later fails in its worker thread, warning in some other test)."""
    yield
    while _runtimes:
        await _runtimes.pop().engine.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> DemoSettings:
    return DemoSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.sqlite3",
        kafka_bootstrap_servers="127.0.0.1:1",
        consumer_max_attempts=2,
        outbox_poll_seconds=0.05,
    )


def _reading(value: str = "1234.5") -> MeterReadingReceived:
    return MeterReadingReceived(
        reading_id="r-1",
        meter_id="m-1",
        customer_number="100001",
        register_type="electricity_single",
        value=Decimal(value),
        unit="kWh",
        read_at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        source="customer",
        quality="actual",
    )


@pytest.fixture
def reading():
    return _reading
