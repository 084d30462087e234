"""Every query metering makes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from metering.db.tables import (
    CONSENT_GRANTED,
    CONTRACT_ACTIVE,
    Base,
    ConsumptionDay,
    ConsumptionMonth,
    ContractView,
    DataRequest,
    EarlyAmendment,
    EarlyTermination,
    ExpectedConsumption,
    FinalReadingRequest,
    Meter,
    MeterRegister,
    Reading,
    ReadingReminder,
    SmartMeterConsent,
)


async def _insert_if_absent(session: AsyncSession, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row is new. On PostgreSQL a concurrent
    insert of the same key waits for the other transaction and then finds the row."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))


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

    async def supplying(self, ean: str, day: date) -> ContractView | None:
        """The contract supplying the connection on ``day`` (the latest started, should two)."""
        contract: ContractView | None = await self.session.scalar(
            select(ContractView)
            .where(
                ContractView.ean == ean,
                ContractView.start_date <= day,
                or_(ContractView.end_date.is_(None), ContractView.end_date >= day),
            )
            .order_by(ContractView.start_date.desc(), ContractView.contract_id)
            .limit(1)
        )
        return contract

    async def self_reading(self, started_by: date) -> list[ContractView]:
        """Active self-reading contracts that started on or before ``started_by``."""
        rows = await self.session.scalars(
            select(ContractView)
            .where(
                ContractView.status == CONTRACT_ACTIVE,
                ContractView.readings_expected.is_(True),
                ContractView.self_reading.is_(True),
                ContractView.start_date <= started_by,
            )
            .order_by(ContractView.contract_id)  # one order for every run: no deadlocks
        )
        return list(rows)


class EarlyTerminations:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_id: str) -> EarlyTermination | None:
        return await self.session.get(EarlyTermination, contract_id)

    def add(self, termination: EarlyTermination) -> None:
        self.session.add(termination)

    async def remove(self, termination: EarlyTermination) -> None:
        await self.session.delete(termination)


class EarlyAmendments:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_id: str) -> EarlyAmendment | None:
        return await self.session.get(EarlyAmendment, contract_id)

    def add(self, amendment: EarlyAmendment) -> None:
        self.session.add(amendment)

    async def remove(self, amendment: EarlyAmendment) -> None:
        await self.session.delete(amendment)


class Meters:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, meter: Meter, registers: Sequence[MeterRegister]) -> None:
        self.session.add(meter)
        self.session.add_all(registers)

    async def of_contract_for_update(self, contract_id: str) -> list[Meter]:
        """The contract's meters (earlier ones too, after an exchange), locked: readings and
        installations of one connection are applied one at a time."""
        rows = await self.session.scalars(
            select(Meter)
            .where(Meter.contract_id == contract_id)
            .order_by(Meter.installed_on, Meter.created_at)
            .with_for_update()
        )
        return list(rows)

    async def of_contracts(self, contract_ids: Sequence[str]) -> list[Meter]:
        rows = await self.session.scalars(
            select(Meter)
            .where(Meter.contract_id.in_(contract_ids))
            .order_by(Meter.contract_id, Meter.installed_on, Meter.created_at)
        )
        return list(rows)

    async def replace_registers(self, meter_id: str, registers: Sequence[MeterRegister]) -> None:
        await self.session.execute(delete(MeterRegister).where(MeterRegister.meter_id == meter_id))
        self.session.add_all(registers)

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
            # Newest contract first, and within it the meter in place before those it replaced.
            .order_by(
                ContractView.start_date.desc(),
                ContractView.contract_id,
                Meter.removed_on.is_not(None),
                Meter.installed_on.desc(),
                Meter.meter_id,
            )
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

    async def history(
        self, meter_id: str, register_type: str, up_to: datetime
    ) -> tuple[Reading | None, Decimal]:
        """The register's first reading on this meter and the capacities of the rollovers
        recorded after it up to ``up_to``: with the reading at ``up_to``, the consumption."""
        first: Reading | None = await self.session.scalar(
            select(Reading)
            .where(Reading.meter_id == meter_id, Reading.register_type == register_type)
            .order_by(Reading.read_at)
            .limit(1)
        )
        if first is None:
            return None, Decimal(0)
        # Summed here, not in SQL: SQLite would add the exact decimals up as floats.
        capacities = await self.session.scalars(
            select(Reading.rollover_capacity).where(
                Reading.meter_id == meter_id,
                Reading.register_type == register_type,
                Reading.read_at > first.read_at,
                Reading.read_at <= up_to,
                Reading.rollover_capacity.is_not(None),
            )
        )
        return first, sum((c for c in capacities if c is not None), Decimal(0))

    async def contracts_read_between(
        self, contract_ids: Sequence[str], sources: Sequence[str], since: datetime, until: datetime
    ) -> set[str]:
        """Which of these contracts have a reading from ``sources`` read in [since, until)."""
        rows = await self.session.scalars(
            select(Reading.contract_id)
            .where(
                Reading.contract_id.in_(contract_ids),
                Reading.source.in_(sources),
                Reading.read_at >= since,
                Reading.read_at < until,
            )
            .distinct()
        )
        return set(rows)

    async def last_read_at(self, contract_ids: Sequence[str]) -> dict[str, datetime]:
        rows = await self.session.execute(
            select(Reading.contract_id, func.max(Reading.read_at))
            .where(Reading.contract_id.in_(contract_ids))
            .group_by(Reading.contract_id)
        )
        return {contract_id: read_at for contract_id, read_at in rows.all()}

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


class ExpectedVolumes:
    """The contract's expected annual consumption per register."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, contract_id: str, volumes: Iterable[tuple[str, Decimal]]) -> None:
        self.session.add_all(
            ExpectedConsumption(contract_id=contract_id, register_type=register, annual_volume=volume)
            for register, volume in volumes
        )

    async def of_contract(self, contract_id: str) -> dict[str, Decimal]:
        rows = await self.session.scalars(
            select(ExpectedConsumption).where(ExpectedConsumption.contract_id == contract_id)
        )
        return {row.register_type: row.annual_volume for row in rows}


class ReadingReminders:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def sent_for(self, contract_ids: Sequence[str]) -> set[tuple[str, date]]:
        rows = await self.session.execute(
            select(ReadingReminder.contract_id, ReadingReminder.due_on).where(
                ReadingReminder.contract_id.in_(contract_ids)
            )
        )
        return {(contract_id, due_on) for contract_id, due_on in rows.all()}

    async def claim(self, contract_id: str, due_on: date, now: datetime) -> bool:
        """True for the one run that records this reminder; a concurrent run gets False."""
        return await _insert_if_absent(
            self.session, ReadingReminder, {"contract_id": contract_id, "due_on": due_on, "sent_at": now}
        )


class FinalReadingRequests:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def claim(self, contract_id: str, end_date: date, now: datetime) -> bool:
        """True the first time a final reading is asked for this contract and end date."""
        return await _insert_if_absent(
            self.session,
            FinalReadingRequest,
            {"contract_id": contract_id, "end_date": end_date, "requested_at": now},
        )


class ConsumptionRecords:
    """What the consumption views read: the contract with its consent and meters, the daily
    and monthly sums of the meters and the slots of their days. Sums come back as plain tuples; values
    are summed in Python (SQLite would add the exact decimals up as floats)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def contract(
        self, contract_id: str, customer_number: str
    ) -> tuple[ContractView, SmartMeterConsent | None, list[Meter]] | None:
        """The customer's contract, its consent and its meters in one query (every view asks
        for all three); None for unknown and foreign ids alike."""
        rows = (
            await self.session.execute(
                select(ContractView, SmartMeterConsent, Meter)
                .outerjoin(SmartMeterConsent, SmartMeterConsent.contract_id == ContractView.contract_id)
                .outerjoin(Meter, Meter.contract_id == ContractView.contract_id)
                .where(
                    ContractView.contract_id == contract_id,
                    ContractView.customer_number == customer_number,
                )
                .order_by(Meter.installed_on, Meter.created_at)
            )
        ).all()
        if not rows:
            return None
        contract, consent, _ = rows[0]
        return contract, consent, [meter for _, _, meter in rows if meter is not None]

    async def days(
        self, meter_ids: Sequence[str], channels: Sequence[str], ranges: Sequence[tuple[date, date]]
    ) -> list[tuple[str, date, Decimal, int, int]]:
        """(channel, day, total, intervals, interval_minutes) of the days in the [first, end) ranges."""
        rows = await self.session.execute(
            select(
                ConsumptionDay.channel,
                ConsumptionDay.day,
                ConsumptionDay.total,
                ConsumptionDay.intervals,
                ConsumptionDay.interval_minutes,
            ).where(
                ConsumptionDay.meter_id.in_(meter_ids),
                ConsumptionDay.channel.in_(channels),
                or_(*(and_(ConsumptionDay.day >= first, ConsumptionDay.day < end) for first, end in ranges)),
            )
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]

    async def months(
        self,
        meter_ids: Sequence[str],
        channels: Sequence[str],
        ranges: Sequence[tuple[date, date]] | None = None,
    ) -> list[tuple[str, date, Decimal, int, int]]:
        """(channel, month, total, intervals, interval_minutes) of the months whose first day is
        in one of the [first, end) ranges; every month when ``ranges`` is None."""
        query = select(
            ConsumptionMonth.channel,
            ConsumptionMonth.month,
            ConsumptionMonth.total,
            ConsumptionMonth.intervals,
            ConsumptionMonth.interval_minutes,
        ).where(ConsumptionMonth.meter_id.in_(meter_ids), ConsumptionMonth.channel.in_(channels))
        if ranges is not None:
            query = query.where(
                or_(*(and_(ConsumptionMonth.month >= a, ConsumptionMonth.month < b) for a, b in ranges))
            )
        rows = await self.session.execute(query)
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]

    async def day_slots(
        self, meter_ids: Sequence[str], channels: Sequence[str], first: date, end: date
    ) -> list[tuple[str, date, int, list[Decimal | None]]]:
        """(channel, day, interval_minutes, slot values) of the days in [first, end)."""
        rows = await self.session.execute(
            select(
                ConsumptionDay.channel,
                ConsumptionDay.day,
                ConsumptionDay.interval_minutes,
                ConsumptionDay.slot_values,
            ).where(
                ConsumptionDay.meter_id.in_(meter_ids),
                ConsumptionDay.channel.in_(channels),
                ConsumptionDay.day >= first,
                ConsumptionDay.day < end,
            )
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


class SmartMeterConsents:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, contract_id: str) -> SmartMeterConsent | None:
        return await self.session.get(SmartMeterConsent, contract_id)

    async def lock(self, contract_id: str) -> SmartMeterConsent | None:
        """The consent, with its contract locked first (FOR NO KEY UPDATE: other rows may still
        refer to the contract): one consent change per contract at a time, even the first."""
        await self.session.execute(
            select(ContractView.contract_id)
            .where(ContractView.contract_id == contract_id)
            .with_for_update(key_share=True)
        )
        consent: SmartMeterConsent | None = await self.session.scalar(
            select(SmartMeterConsent)
            .where(SmartMeterConsent.contract_id == contract_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return consent

    def add(self, consent: SmartMeterConsent) -> None:
        self.session.add(consent)

    async def outdated(self, current_version: int) -> list[SmartMeterConsent]:
        """Granted consents for older terms whose customer was not asked again for these."""
        rows = await self.session.scalars(
            select(SmartMeterConsent)
            .where(
                SmartMeterConsent.status == CONSENT_GRANTED,
                SmartMeterConsent.terms_version < current_version,
                or_(
                    SmartMeterConsent.reconsent_asked_version.is_(None),
                    SmartMeterConsent.reconsent_asked_version < current_version,
                ),
            )
            .order_by(SmartMeterConsent.contract_id)
        )
        return list(rows)

    async def claim_reconsent(self, contract_id: str, current_version: int) -> bool:
        """Record that the customer is asked again for ``current_version``; False when another
        run did it first (or the consent changed meanwhile)."""
        result = await self.session.execute(
            update(SmartMeterConsent)
            .where(
                SmartMeterConsent.contract_id == contract_id,
                SmartMeterConsent.status == CONSENT_GRANTED,
                SmartMeterConsent.terms_version < current_version,
                or_(
                    SmartMeterConsent.reconsent_asked_version.is_(None),
                    SmartMeterConsent.reconsent_asked_version < current_version,
                ),
            )
            .values(reconsent_asked_version=current_version)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))


class DataRequests:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, request: DataRequest) -> None:
        self.session.add(request)

    async def of_contract(self, contract_id: str) -> list[DataRequest]:
        rows = await self.session.scalars(
            select(DataRequest)
            .where(DataRequest.contract_id == contract_id)
            .order_by(DataRequest.requested_at)
        )
        return list(rows)
