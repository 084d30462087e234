"""Metering on SQLite and the in-memory broker, with access tokens signed by a test key.

Test modules cannot import from here (pytest's importlib mode), so helpers are fixtures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import pytest
from faststream.kafka import KafkaMessage
from sqlalchemy import func, select

from metering.app import create_app
from metering.db.tables import Base, Meter
from metering.settings import MeteringSettings
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas import Envelope
from portal_schemas.contracts import (
    Commodity,
    ContractAmended,
    ContractCreated,
    ContractOptions,
    ContractTerminated,
)
from portal_schemas.hub import MeterInstalled, RegisterSpec
from portal_schemas.topics import dead_letter_topic


@pytest.fixture
def settings(tmp_path: Path) -> MeteringSettings:
    return MeteringSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/metering.sqlite3")


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def dead_letters() -> list[KafkaMessage]:
    """What the service's consumers sent to its dead-letter topic (``dlt-error`` header: why)."""
    return []


@pytest.fixture
async def service(
    settings: MeteringSettings, tokens: TokenFactory, dead_letters: list[KafkaMessage]
) -> AsyncIterator[Harness]:
    app = create_app(settings)
    tokens.install(app)
    runtime = app.state.runtime
    runtime.dead_letters.first_backoff = 0.01  # failing handlers are retried, quickly here

    @runtime.broker.subscriber(dead_letter_topic("metering"), group_id="dead-letter-reader")
    async def read_dead_letters(message: KafkaMessage) -> None:
        dead_letters.append(message)

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
        ean: str | None = None,
        meter_location: Literal["indoors", "outdoors", "unknown"] = "unknown",
        expected: dict[str, str] | None = None,
    ) -> Envelope:
        data = ContractCreated.model_validate(
            {
                "contract_id": contract_id,
                "customer_number": customer_number,
                "commodity": commodity,
                "product_code": "FIXED-3Y",
                "start_date": start_date,
                "ean": ean,
                "meter_location": meter_location,
                "expected_annual_consumption": expected or {},
            }
        )
        return await self.service.deliver(data, subject=contract_id, producer="contracts")

    async def smart(self, contract_id: str = "C-1", **created: Any) -> str:
        """``created`` the contract, then give its meter what a hub MeterInstalled with smart=true
        leaves (serial ``S-<contract id>``, no installation readings); returns the meter id."""
        await self.created(contract_id, **created)
        async with self.service.runtime.sessions() as session:
            meter = await session.scalar(select(Meter).where(Meter.contract_id == contract_id))
            assert meter is not None
            meter.smart = True
            meter.serial = f"S-{contract_id}"
            await session.commit()
            return meter.meter_id

    async def amended(
        self,
        contract_id: str = "C-1",
        *,
        self_reading: bool,
        customer_number: str = "100001",
        effective_from: date = date(2026, 1, 1),
    ) -> Envelope:
        data = ContractAmended(
            contract_id=contract_id,
            customer_number=customer_number,
            commodity="electricity",
            change="options",
            effective_from=effective_from,
            product_code="FIXED-3Y",
            options=ContractOptions(self_reading=self_reading),
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


class HubFeed:
    """Publishes the grid operators' hub messages the way its adapter does."""

    def __init__(self, service: Harness) -> None:
        self.service = service

    async def installed(
        self,
        ean: str,
        serial: str,
        installed_on: date,
        registers: dict[str, tuple[int, str]],
        *,
        smart: bool = False,
        location: Literal["indoors", "outdoors", "unknown"] = "indoors",
        replaced_serial: str | None = None,
        final_indexes: dict[str, tuple[int, str]] | None = None,
    ) -> Envelope:
        """``registers`` and ``final_indexes``: register -> (digits, index)."""

        def specs(given: dict[str, tuple[int, str]]) -> list[RegisterSpec]:
            return [
                RegisterSpec.model_validate({"register_type": r, "digits": d, "index": i})
                for r, (d, i) in given.items()
            ]

        data = MeterInstalled(
            notice_id=f"N-{serial}",
            ean=ean,
            meter_serial=serial,
            installed_on=installed_on,
            smart=smart,
            location=location,
            registers=specs(registers),
            replaced_serial=replaced_serial,
            final_indexes=specs(final_indexes or {}),
        )
        return await self.service.deliver(data, subject=ean, producer="hub")


@pytest.fixture
def hub(service: Harness) -> HubFeed:
    return HubFeed(service)


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
