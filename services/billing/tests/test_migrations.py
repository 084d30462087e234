"""The migration builds the schema the code expects, and the service runs on it."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, create_engine, select

import billing
from billing.app import create_app
from billing.db.tables import Base
from billing.settings import BillingSettings
from portal_chassis import tables
from portal_chassis.migrations import upgrade
from portal_chassis.testing import service_under_test

MIGRATIONS = Path(billing.__file__).resolve().parents[2] / "migrations"


def expected_metadata() -> MetaData:
    combined = MetaData()
    for table in [*Base.metadata.tables.values(), *tables.metadata.tables.values()]:
        table.to_metadata(combined)
    return combined


async def test_migrated_schema_matches_the_tables(settings: BillingSettings, events) -> None:
    await asyncio.to_thread(upgrade, MIGRATIONS, settings.database_url)

    engine = create_engine(settings.database_url.replace("+aiosqlite", ""))
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), expected_metadata())
    engine.dispose()
    assert diff == []

    # The service on the migrated database (create_all in the harness finds every table there).
    async with service_under_test(create_app(settings), Base.metadata) as service:
        # 10.20 before VAT; VAT 10.20 x 0.21 = 2.142 -> 2.14; 10.20 + 2.14 = 12.34
        await service.deliver(events.termination("C-1", fee="12.34", excl_vat="10.20"), subject="C-1")
        async with service.runtime.sessions() as session:
            total = await session.scalar(select(Base.metadata.tables["invoices"].c.total_incl_vat))
    assert str(total) == "12.34"
