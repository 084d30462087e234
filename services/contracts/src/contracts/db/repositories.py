"""Every query contracts makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.db.tables import Contract, ContractEvent, Customer


class Customers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_number: str) -> Customer | None:
        return await self.session.get(Customer, customer_number)

    def add(self, customer: Customer) -> None:
        self.session.add(customer)


class Contracts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, contract: Contract) -> None:
        self.session.add(contract)

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
