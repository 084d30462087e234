from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from identity.app import create_app
from identity.db.tables import Base
from identity.settings import IdentitySettings
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, service_under_test


@pytest.fixture
def settings(tmp_path: Path) -> IdentitySettings:
    return IdentitySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/identity.sqlite3",
        event_sealing_key=Sealer.new_key(),
    )


@pytest.fixture
async def service(settings: IdentitySettings) -> AsyncIterator[Harness]:
    async with service_under_test(create_app(settings), Base.metadata) as harness:
        yield harness
