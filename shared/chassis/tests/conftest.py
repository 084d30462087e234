from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from portal_chassis.settings import ServiceSettings
from pydantic_settings import SettingsConfigDict


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
