"""The metering API against its own OpenAPI document (schemathesis, in-process)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from metering.app import create_app
from metering.db.tables import (
    CONSENT_GRANTED,
    CONTRACT_ACTIVE,
    Base,
    ConsumptionDay,
    ConsumptionMonth,
    ContractView,
    Meter,
    SmartMeterConsent,
)
from metering.settings import MeteringSettings
from portal_chassis.api_fuzzing import fuzz_openapi
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.testing import TokenFactory, create_schema

CUSTOMER = "100200300"
# The contract id the OpenAPI document gives as its example: the explicit examples reach past
# the 404s into the views themselves.
EXAMPLE_CONTRACT = "3f2b8c1e-6a4d-4e0b-9c57-1d2e3f4a5b6c"


async def seed(settings: MeteringSettings) -> None:
    """The example contract with a smart meter, consent and one day of quarter hours."""
    runtime = ServiceRuntime.create(settings)
    await create_schema(runtime, Base.metadata)
    now = datetime.now(UTC)
    day = date(2026, 3, 29)
    async with runtime.sessions() as session:
        session.add(
            ContractView(
                contract_id=EXAMPLE_CONTRACT,
                customer_number=CUSTOMER,
                commodity="electricity",
                product_code="FIXED-3Y",
                start_date=date(2025, 1, 1),
                status=CONTRACT_ACTIVE,
                readings_expected=True,
                updated_at=now,
            )
        )
        await session.flush()
        session.add_all(
            [
                Meter(
                    meter_id="m-1",
                    contract_id=EXAMPLE_CONTRACT,
                    customer_number=CUSTOMER,
                    commodity="electricity",
                    smart=True,
                    installed_on=date(2025, 1, 1),
                    created_at=now,
                ),
                SmartMeterConsent(
                    contract_id=EXAMPLE_CONTRACT,
                    customer_number=CUSTOMER,
                    status=CONSENT_GRANTED,
                    terms_version=settings.smart_meter_terms_version,
                    granted_at=now,
                ),
                ConsumptionDay(
                    meter_id="m-1",
                    channel="electricity_consumption",
                    day=day,
                    total=Decimal("9.2"),
                    intervals=92,
                    interval_minutes=15,
                    slot_values=[Decimal("0.1")] * 92,
                    slot_qualities="m" * 92,
                ),
                ConsumptionMonth(
                    meter_id="m-1",
                    channel="electricity_consumption",
                    month=day.replace(day=1),
                    total=Decimal("9.2"),
                    intervals=92,
                    interval_minutes=15,
                ),
            ]
        )
        await session.commit()
    await runtime.engine.dispose()


@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_api_answers_no_5xx_and_as_documented(settings: MeteringSettings, tokens: TokenFactory) -> None:
    """Valid and invalid requests (25 of each per operation), as a signed-in customer: never
    a server error, and every answer matches the response schema the document declares."""
    asyncio.run(seed(settings))
    app = create_app(settings)
    tokens.install(app)
    operations, failures = fuzz_openapi(app, Base.metadata, headers=tokens.headers(CUSTOMER))
    assert operations >= 8  # the document was read: readings, meters, consumption views, health
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
