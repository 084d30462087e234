"""What a customer sees of their meters and readings."""

from __future__ import annotations

from dataclasses import dataclass

from metering.db.repositories import Meters, Readings
from metering.db.tables import ContractView, Meter, MeterRegister, Reading
from metering.use_cases.problems import customers_contract
from portal_chassis.pagination import PageParams
from portal_chassis.uow import UnitOfWork


@dataclass(frozen=True)
class MeterOverview:
    meter: Meter
    contract: ContractView
    registers: list[MeterRegister]
    latest: dict[str, Reading]  # register type -> newest reading


async def list_readings(
    uow: UnitOfWork, customer_number: str, contract_id: str | None, page: PageParams
) -> tuple[list[Reading], int]:
    """The customer's readings, newest first; another customer's contract answers 404."""
    if contract_id is not None:
        await customers_contract(uow, customer_number, contract_id)
    return await Readings(uow.session).page_of_customer(
        customer_number, contract_id=contract_id, limit=page.limit, offset=page.offset
    )


async def list_meters(
    uow: UnitOfWork, customer_number: str, page: PageParams
) -> tuple[list[MeterOverview], int]:
    meters = Meters(uow.session)
    rows, total = await meters.page_of_customer(customer_number, limit=page.limit, offset=page.offset)
    ids = [meter.meter_id for meter, _ in rows]
    registers: dict[str, list[MeterRegister]] = {meter_id: [] for meter_id in ids}
    for register in await meters.registers(ids):
        registers[register.meter_id].append(register)
    latest: dict[str, dict[str, Reading]] = {meter_id: {} for meter_id in ids}
    for reading in await Readings(uow.session).latest_per_register(ids):
        latest[reading.meter_id][reading.register_type] = reading
    overviews = [
        MeterOverview(meter, contract, registers[meter.meter_id], latest[meter.meter_id])
        for meter, contract in rows
    ]
    return overviews, total
