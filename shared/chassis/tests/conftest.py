from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic_settings import SettingsConfigDict

from portal_chassis.settings import ServiceSettings
from portal_schemas.metering import MeterReadingReceived


class DemoSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DEMO_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "demo"


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
