"""Keeping billing's copies of other services' data, fed by their events.

The chassis inbox already drops a redelivered event; the inserts below also ignore a row that
exists, so the same contract or reading announced again under a new event id changes nothing.
"""

from __future__ import annotations

from billing.db.repositories import ContractViews, ReadingViews
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractCreated
from portal_schemas.metering import MeterReadingReceived


async def record_contract(uow: UnitOfWork, data: ContractCreated) -> bool:
    return await ContractViews(uow.session).add_if_absent(
        {
            "contract_id": data.contract_id,
            "customer_number": data.customer_number,
            "commodity": data.commodity,
            "product_code": data.product_code,
            "start_date": data.start_date,
            "end_date": None,
        }
    )


async def record_reading(uow: UnitOfWork, data: MeterReadingReceived) -> bool:
    return await ReadingViews(uow.session).add_if_absent(
        {
            "reading_id": data.reading_id,
            "meter_id": data.meter_id,
            "contract_id": data.contract_id,
            "customer_number": data.customer_number,
            "register_type": data.register_type,
            "value": data.value,
            "unit": data.unit,
            "read_at": data.read_at,
            "source": data.source,
            "quality": data.quality,
        }
    )
