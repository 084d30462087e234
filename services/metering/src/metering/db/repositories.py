"""Every query metering makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from metering.db.tables import ContractView, EarlyTermination, Meter, MeterRegister, Reading


class Contracts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_id: str) -> ContractView | None:
        return await self.session.get(ContractView, contract_id)

    async def of_customer(self, contract_id: str, customer_number: str) -> ContractView | None:
        """The contract if it is this customer's; None for unknown and foreign ids alike."""
        contract = await self.get(contract_id)
        if contract is None or contract.customer_number != customer_number:
            return None
        return contract

    def add(self, contract: ContractView) -> None:
        self.session.add(contract)


class EarlyTerminations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_id: str) -> EarlyTermination | None:
        return await self.session.get(EarlyTermination, contract_id)

    def add(self, termination: EarlyTermination) -> None:
        self.session.add(termination)

    async def remove(self, termination: EarlyTermination) -> None:
        await self.session.delete(termination)


class Meters:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, meter: Meter, registers: Sequence[MeterRegister]) -> None:
        self.session.add(meter)
        self.session.add_all(registers)

    async def of_contract_for_update(self, contract_id: str) -> Meter | None:
        """The contract's meter, locked: readings of one meter are checked one at a time."""
        meter: Meter | None = await self.session.scalar(
            select(Meter)
            .where(Meter.contract_id == contract_id)
            .order_by(Meter.created_at)
            .limit(1)
            .with_for_update()
        )
        return meter

    async def registers(self, meter_ids: Sequence[str]) -> list[MeterRegister]:
        rows = await self.session.scalars(
            select(MeterRegister)
            .where(MeterRegister.meter_id.in_(meter_ids))
            .order_by(MeterRegister.meter_id, MeterRegister.register_type)
        )
        return list(rows)

    async def page_of_customer(
        self, customer_number: str, *, limit: int, offset: int
    ) -> tuple[list[tuple[Meter, ContractView]], int]:
        where = Meter.customer_number == customer_number
        total = await self.session.scalar(select(func.count()).select_from(Meter).where(where))
        rows = await self.session.execute(
            select(Meter, ContractView)
            .join(ContractView, ContractView.contract_id == Meter.contract_id)
            .where(where)
            .order_by(ContractView.start_date.desc(), Meter.meter_id)
            .limit(limit)
            .offset(offset)
        )
        return [(meter, contract) for meter, contract in rows.all()], total or 0


class Readings:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, reading: Reading) -> None:
        self.session.add(reading)

    async def at_or_before(self, meter_id: str, register_type: str, moment: datetime) -> Reading | None:
        reading: Reading | None = await self.session.scalar(
            select(Reading)
            .where(
                Reading.meter_id == meter_id,
                Reading.register_type == register_type,
                Reading.read_at <= moment,
            )
            .order_by(Reading.read_at.desc())
            .limit(1)
        )
        return reading

    async def after(self, meter_id: str, register_type: str, moment: datetime) -> Reading | None:
        reading: Reading | None = await self.session.scalar(
            select(Reading)
            .where(
                Reading.meter_id == meter_id,
                Reading.register_type == register_type,
                Reading.read_at > moment,
            )
            .order_by(Reading.read_at)
            .limit(1)
        )
        return reading

    async def page_of_customer(
        self, customer_number: str, *, contract_id: str | None, limit: int, offset: int
    ) -> tuple[list[Reading], int]:
        conditions = [Reading.customer_number == customer_number]
        if contract_id is not None:
            conditions.append(Reading.contract_id == contract_id)
        total = await self.session.scalar(select(func.count()).select_from(Reading).where(*conditions))
        rows = await self.session.scalars(
            select(Reading)
            .where(*conditions)
            .order_by(Reading.read_at.desc(), Reading.received_at.desc(), Reading.reading_id)
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total or 0

    async def latest_per_register(self, meter_ids: Sequence[str]) -> list[Reading]:
        """The newest reading of every register of these meters (read_at is unique per register)."""
        newest = (
            select(
                Reading.meter_id,
                Reading.register_type,
                func.max(Reading.read_at).label("read_at"),
            )
            .where(Reading.meter_id.in_(meter_ids))
            .group_by(Reading.meter_id, Reading.register_type)
            .subquery()
        )
        rows = await self.session.scalars(
            select(Reading).join(
                newest,
                (Reading.meter_id == newest.c.meter_id)
                & (Reading.register_type == newest.c.register_type)
                & (Reading.read_at == newest.c.read_at),
            )
        )
        return list(rows)
