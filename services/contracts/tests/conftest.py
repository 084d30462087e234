from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI

from contracts.app import create_app
from contracts.db.tables import Base
from contracts.settings import DEFAULT_CATALOGUE, ContractsSettings
from contracts.use_cases.catalogue import load_default_if_empty
from contracts.use_cases.create_contract import CustomerDetails, create_contract
from portal_chassis.testing import Harness, TokenFactory, service_under_test

# 23:30 UTC on 9 March is already 10 March in Amsterdam (UTC+1 in winter): the customer's
# "today" in every test is 2026-03-10.
NOW = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)
TODAY = date(2026, 3, 10)

MakeContract = Callable[..., Awaitable[str]]  # what the make_contract fixture returns


@pytest.fixture
def settings(tmp_path: Path) -> ContractsSettings:
    # No catalogue at start: tests that need one import it (test_catalogue.py's fixture).
    # Fees use the monthly electricity table, whose sums the tests work out by hand.
    return ContractsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/contracts.sqlite3",
        catalogue_file=None,
        fee_electricity_profile_source="monthly",
    )


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
def app(settings: ContractsSettings, tokens: TokenFactory) -> FastAPI:
    app = create_app(settings)
    tokens.install(app)
    app.state.clock = lambda: NOW
    return app


@pytest.fixture
async def service(app: FastAPI) -> AsyncIterator[Harness]:
    async with service_under_test(app, Base.metadata) as harness:
        yield harness


@pytest.fixture
def make_contract(app: FastAPI, service: Harness) -> MakeContract:
    """Create a contract the way the operations CLI does (with the app's sealer, None without
    a sealing key); returns its id."""

    async def make(
        customer_number: str = "100200300",
        *,
        commodity: str = "electricity",
        start_date: date = date(2025, 7, 1),
        fixed_term_end: date | None = date(2026, 12, 31),
        concluded_on: date = date(2025, 6, 1),
        product_code: str = "FIX-3Y-GREEN",
        supply_postcode: str = "1234AB",
        billing_postcode: str | None = None,
        segment: str | None = None,
        language: str | None = None,
        meter_location: str = "unknown",
        annual_consumption: dict[str, Decimal] | None = None,
        ean: str | None = None,
    ) -> str:
        async with service.runtime.new_uow() as uow:
            contract = await create_contract(
                uow,
                customer=CustomerDetails(
                    customer_number=customer_number,
                    name="J. de Vries",
                    segment=segment,  # type: ignore[arg-type]
                    language=language,  # type: ignore[arg-type]
                    billing_postcode=billing_postcode,
                ),
                commodity=commodity,  # type: ignore[arg-type]
                product_code=product_code,
                supply_postcode=supply_postcode,
                start_date=start_date,
                fixed_term_end=fixed_term_end,
                concluded_on=concluded_on,
                now=NOW,
                meter_location=meter_location,
                annual_consumption=annual_consumption,
                ean=ean,
                sealer=app.state.sealer,
            )
        return contract.id

    return make


@pytest.fixture
async def catalogue(service: Harness) -> None:
    """The shipped default catalogue (catalogue/default.toml), imported as at service start."""
    async with service.runtime.new_uow() as uow:
        await load_default_if_empty(uow, DEFAULT_CATALOGUE)
