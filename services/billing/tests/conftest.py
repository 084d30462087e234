from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from billing.app import create_app
from billing.db.tables import Base
from billing.settings import BillingSettings
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas.contracts import (
    ContractCreated,
    ContractTerminated,
    ContractWithdrawn,
    TariffPeriodData,
    TariffsPublished,
)
from portal_schemas.metering import MeterReadingReceived


@pytest.fixture
def settings(tmp_path: Path) -> BillingSettings:
    # Spelled out, so the hand-worked sums in the tests do not hang on the defaults.
    return BillingSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/billing.sqlite3",
        termination_fee_vat_rate=Decimal("0.21"),  # for events without the fee split
        final_reading_wait_days=10,
        payment_term_days=14,
        consumer_max_attempts=2,
    )


@pytest.fixture
def tokens() -> TokenFactory:
    return TokenFactory()


@pytest.fixture
async def service(settings: BillingSettings, tokens: TokenFactory) -> AsyncIterator[Harness]:
    app = create_app(settings)
    tokens.install(app)
    async with service_under_test(app, Base.metadata) as harness:
        yield harness


class Events:
    """Event payloads as contracts and metering would publish them."""

    def contract(self, contract_id: str = "C-1", customer: str = "100200300", **kw: Any) -> ContractCreated:
        fields: dict[str, Any] = {
            "commodity": "electricity",
            "product_code": "FIXED-3Y",
            "start_date": date(2026, 1, 1),
        }
        return ContractCreated(contract_id=contract_id, customer_number=customer, **{**fields, **kw})

    def reading(
        self,
        reading_id: str,
        value: str,
        read_at: datetime,
        *,
        contract_id: str | None = "C-1",
        register: str = "electricity_normal",
        meter_id: str = "M-1",
        unit: str = "kWh",
        customer: str = "100200300",
        quality: str = "actual",
        final: bool = False,
        rollover_capacity: str | None = None,
    ) -> MeterReadingReceived:
        return MeterReadingReceived(
            reading_id=reading_id,
            meter_id=meter_id,
            customer_number=customer,
            contract_id=contract_id,
            register_type=register,  # type: ignore[arg-type]
            value=Decimal(value),
            unit=unit,  # type: ignore[arg-type]
            read_at=read_at,
            source="customer",
            quality=quality,  # type: ignore[arg-type]
            final=final,
            rollover_capacity=None if rollover_capacity is None else Decimal(rollover_capacity),
        )

    def termination(
        self,
        contract_id: str = "C-1",
        customer: str = "100200300",
        fee: str = "76.69",
        excl_vat: str | None = "63.38",
        vat_rate: str | None = "0.21",
        end_date: date = date(2026, 10, 31),
        final: bool = True,
    ) -> ContractTerminated:
        """By default the fee as contracts now splits it: 63.38 + 21 % VAT (13.31) = 76.69.
        Pass ``excl_vat=None, vat_rate=None`` for an event written before the split existed."""
        return ContractTerminated(
            contract_id=contract_id,
            customer_number=customer,
            end_date=end_date,
            reason="move",
            termination_fee=Decimal(fee),
            termination_fee_excl_vat=None if excl_vat is None else Decimal(excl_vat),
            termination_fee_vat_rate=None if vat_rate is None else Decimal(vat_rate),
            fee_is_final=final,
        )

    def withdrawal(
        self, contract_id: str = "C-1", customer: str = "100200300", last_supply_day: date | None = None
    ) -> ContractWithdrawn:
        return ContractWithdrawn(
            contract_id=contract_id,
            customer_number=customer,
            withdrawn_on=last_supply_day or date(2026, 1, 1),
            last_supply_day=last_supply_day,
        )

    def tariffs(self, product_code: str = "FIXED-3Y", *periods: dict[str, Any]) -> TariffsPublished:
        """A product's tariff periods; each dict gives TariffPeriodData's fields, electricity by
        default."""
        return TariffsPublished(
            product_code=product_code,
            name=product_code,
            kind="fixed",
            commodities=sorted({p.get("commodity", "electricity") for p in periods}),
            on_sale=True,
            periods=[TariffPeriodData.model_validate({"commodity": "electricity", **p}) for p in periods],
        )


@pytest.fixture
def events() -> Events:
    return Events()


async def deliver_all(service: Harness, *payloads: Any) -> None:
    for payload in payloads:
        if isinstance(payload, MeterReadingReceived):
            subject = payload.meter_id
        elif isinstance(payload, TariffsPublished):
            subject = payload.product_code
        else:
            subject = payload.contract_id
        await service.deliver(payload, subject=subject)


@pytest.fixture
def deliver() -> Any:
    return deliver_all


@pytest.fixture(autouse=True)
def _flat_profile_for_worked_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hand-worked settlement examples spread a year evenly over its days, so a reader can
    follow the arithmetic; test_standard_profile.py checks the profile the service uses."""
    from billing.domain.estimates import FlatProfile

    monkeypatch.setattr("billing.use_cases.settlements.standard_profile", FlatProfile)
