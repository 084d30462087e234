"""Every query contracts makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.db.tables import Base, Contract, ContractEvent, ContractNumberCounter, Customer
from contracts.domain.numbering import COUNTER, FIRST, contract_number


async def _insert_if_absent(session: AsyncSession, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row is new."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


class Customers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_number: str) -> Customer | None:
        return await self.session.get(Customer, customer_number)

    async def get_locked(self, customer_number: str) -> Customer | None:
        """The customer, row-locked until the transaction ends (SELECT ... FOR UPDATE on
        PostgreSQL; SQLite has one writer at a time anyway), so that two contracts created
        for one customer at once see each other's postcodes one after the other."""
        result: Customer | None = await self.session.scalar(
            select(Customer)
            .where(Customer.customer_number == customer_number)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return result

    def add(self, customer: Customer) -> None:
        self.session.add(customer)


class Contracts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, contract: Contract) -> None:
        self.session.add(contract)

    async def supply_postcodes(self, customer_number: str) -> list[str]:
        """The distinct supply postcodes of all the customer's contracts, sorted."""
        rows = await self.session.scalars(
            select(Contract.supply_postcode)
            .where(Contract.customer_number == customer_number)
            .distinct()
            .order_by(Contract.supply_postcode)
        )
        return list(rows.all())

    async def of_customer(self, customer_number: str, contract_id: str) -> Contract | None:
        """The contract if it belongs to this customer; someone else's looks unknown."""
        result: Contract | None = await self.session.scalar(
            select(Contract).where(Contract.id == contract_id, Contract.customer_number == customer_number)
        )
        return result

    async def page_of_customer(
        self, customer_number: str, *, limit: int, offset: int
    ) -> tuple[Sequence[Contract], int]:
        mine = Contract.customer_number == customer_number
        total = await self.session.scalar(select(func.count()).select_from(Contract).where(mine))
        rows = await self.session.scalars(
            select(Contract)
            .where(mine)
            .order_by(Contract.start_date.desc(), Contract.id)
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)


class ContractNumbers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next(self) -> str:
        """Take the next contract number inside the caller's transaction.

        The counter row stays locked (FOR UPDATE on PostgreSQL) until that transaction ends:
        a concurrent creator waits and continues from the committed value, so no two
        contracts share a number, and a rolled-back creation gives its number back unused.
        The first contract ever creates the row; ON CONFLICT lets two first creators meet on
        it. SQLite ignores FOR UPDATE but allows one writer at a time: the same result.
        """
        await _insert_if_absent(
            self.session, ContractNumberCounter, {"name": COUNTER, "last_number": FIRST - 1}
        )
        counter = await self.session.scalar(
            select(ContractNumberCounter)
            .where(ContractNumberCounter.name == COUNTER)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert counter is not None, "created above"
        number = contract_number(counter.last_number + 1)  # refuses past nine digits
        counter.last_number += 1
        await self.session.flush()
        return number


class ContractEvents:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def record(self, contract_id: str, kind: str, occurred_at: datetime, **details: Any) -> None:
        self.session.add(
            ContractEvent(contract_id=contract_id, kind=kind, occurred_at=occurred_at, details=details)
        )

    async def of_contract(self, contract_id: str) -> Sequence[ContractEvent]:
        rows = await self.session.scalars(
            select(ContractEvent).where(ContractEvent.contract_id == contract_id).order_by(ContractEvent.id)
        )
        return rows.all()
