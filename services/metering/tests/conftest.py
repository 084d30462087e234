"""Metering on SQLite and the in-memory broker, with access tokens signed by a test key.

Test modules cannot import from here (pytest's importlib mode), so helpers are fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from metering.app import create_app
from metering.db.tables import Base
from metering.settings import MeteringSettings
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas import Envelope
from portal_schemas.contracts import Commodity, ContractCreated, ContractTerminated


@pytest.fixture
def settings(tmp_path: Path) -> MeteringSettings:
    return MeteringSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/metering.sqlite3")


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
async def service(settings: MeteringSettings, tokens: TokenFactory) -> AsyncIterator[Harness]:
    app = create_app(settings)
    tokens.install(app)
    async with service_under_test(app, Base.metadata) as harness:
        yield harness


class ContractFeed:
    """Publishes contracts' events the way the contracts service does."""

    def __init__(self, service: Harness) -> None:
        self.service = service

    async def created(
        self,
        contract_id: str = "C-1",
        *,
        customer_number: str = "100001",
        commodity: Commodity = "electricity",
        start_date: date = date(2026, 1, 1),
    ) -> Envelope:
        data = ContractCreated(
            contract_id=contract_id,
            customer_number=customer_number,
            commodity=commodity,
            product_code="FIXED-3Y",
            start_date=start_date,
        )
        return await self.service.deliver(data, subject=contract_id, producer="contracts")

    async def terminated(
        self, contract_id: str = "C-1", *, end_date: date, customer_number: str = "100001"
    ) -> Envelope:
        data = ContractTerminated(
            contract_id=contract_id,
            customer_number=customer_number,
            end_date=end_date,
            reason="move",
            termination_fee=Decimal("0.00"),
        )
        return await self.service.deliver(data, subject=contract_id, producer="contracts")


@pytest.fixture
def contracts(service: Harness) -> ContractFeed:
    return ContractFeed(service)


class RowCounter:
    def __init__(self, service: Harness) -> None:
        self.service = service

    async def __call__(self, table: type[Base]) -> int:
        async with self.service.runtime.sessions() as session:
            return await session.scalar(select(func.count()).select_from(table)) or 0


@pytest.fixture
def rows(service: Harness) -> RowCounter:
    """``await rows(Reading)``: how many rows a table holds."""
    return RowCounter(service)
