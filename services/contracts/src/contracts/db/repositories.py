"""Every query contracts makes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from contracts.db.tables import (
    Base,
    Contract,
    ContractAccess,
    ContractEvent,
    ContractNumberCounter,
    ContractTerms,
    Customer,
    ExpectedConsumption,
    Product,
    TariffPeriod,
    TariffPrice,
)
from contracts.domain.contract import HOLDS_CONNECTION
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
        """The distinct supply postcodes of the customer's contracts (unconfirmed requests
        left out), sorted."""
        rows = await self.session.scalars(
            select(Contract.supply_postcode)
            .where(
                Contract.customer_number == customer_number,
                Contract.status.not_in(("requested", "refused")),
            )
            .distinct()
            .order_by(Contract.supply_postcode)
        )
        return list(rows.all())

    async def holds_connection(self, ean: str, commodity: str) -> bool:
        """Whether a contract (or a pending request) holds the connection for the commodity."""
        found = await self.session.scalar(
            select(Contract.id).where(
                Contract.ean == ean, Contract.commodity == commodity, Contract.status.in_(HOLDS_CONNECTION)
            )
        )
        return found is not None

    async def of_customer(self, customer_number: str, contract_id: str) -> Contract | None:
        """The contract if it belongs to this customer; someone else's looks unknown."""
        result: Contract | None = await self.session.scalar(
            select(Contract).where(Contract.id == contract_id, Contract.customer_number == customer_number)
        )
        return result

    async def visible_to(self, customer_number: str, account_id: str, contract_id: str) -> Contract | None:
        """The contract if it is this customer's or linked to this account (co-holder)."""
        result: Contract | None = await self.session.scalar(
            select(Contract).where(Contract.id == contract_id, _visible(customer_number, account_id))
        )
        return result

    async def page_visible_to(
        self, customer_number: str, account_id: str, *, limit: int, offset: int
    ) -> tuple[Sequence[Contract], int]:
        """The customer's own contracts and those linked to the account, newest start first."""
        return await self._page(_visible(customer_number, account_id), limit=limit, offset=offset)

    async def _page(
        self, mine: ColumnElement[bool], *, limit: int, offset: int
    ) -> tuple[Sequence[Contract], int]:
        total = await self.session.scalar(select(func.count()).select_from(Contract).where(mine))
        rows = await self.session.scalars(
            select(Contract)
            .where(mine)
            .order_by(Contract.start_date.desc(), Contract.id)
            .limit(limit)
            .offset(offset)
        )
        return rows.all(), int(total or 0)

    # Termination, renewal and unilateral changes (use_cases/terminate_contract.py, renewals.py,
    # unilateral_changes.py).

    async def get(self, contract_id: str) -> Contract | None:
        return await self.session.get(Contract, contract_id)

    async def by_number(self, contract_number: str) -> Contract | None:
        result: Contract | None = await self.session.scalar(
            select(Contract).where(Contract.contract_number == contract_number)
        )
        return result

    async def current_by_ean(self, ean: str) -> Contract | None:
        """The contract supplying (or about to supply) the connection; the newest if several."""
        result: Contract | None = await self.session.scalar(
            select(Contract)
            .where(Contract.ean == ean, Contract.status.in_(("active", "confirmed", "terminating")))
            .order_by(Contract.start_date.desc(), Contract.id)
            .limit(1)
        )
        return result

    async def due_to_end(self, today: date) -> Sequence[Contract]:
        """Terminating contracts whose last day of supply is before ``today``."""
        rows = await self.session.scalars(
            select(Contract)
            .where(Contract.status == "terminating", Contract.end_date < today)
            .order_by(Contract.end_date, Contract.id)
        )
        return rows.all()

    async def fixed_terms_ending(self, through: date) -> Sequence[Contract]:
        """Active contracts with a fixed term (concluded, or from a contract_terms row) ending
        on or before ``through``; the caller checks which term is in force."""
        recorded = select(ContractTerms.contract_id).where(
            ContractTerms.fixed_term_end.is_not(None), ContractTerms.fixed_term_end <= through
        )
        rows = await self.session.scalars(
            select(Contract)
            .where(
                Contract.status == "active",
                (Contract.fixed_term_end <= through) | Contract.id.in_(recorded),
            )
            .order_by(Contract.id)
        )
        return rows.all()

    async def current(self, *, commodity: str | None, product_codes: Sequence[str]) -> Sequence[Contract]:
        """Contracts supplied or about to be, of a commodity and/or products (all if neither)."""
        query = select(Contract).where(Contract.status.in_(("active", "confirmed")))
        if commodity is not None:
            query = query.where(Contract.commodity == commodity)
        if product_codes:
            query = query.where(Contract.product_code.in_(product_codes))
        return (await self.session.scalars(query.order_by(Contract.id))).all()


def _visible(customer_number: str, account_id: str) -> ColumnElement[bool]:
    linked = select(ContractAccess.contract_id).where(ContractAccess.account_id == account_id)
    return (Contract.customer_number == customer_number) | Contract.id.in_(linked)


class Access:
    """Which accounts may see which contracts of another customer (identity's ContractLinked)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def link(self, account_id: str, contract_id: str, role: str, at: datetime) -> bool:
        """True when the link is new; a repeated one changes nothing."""
        values = {"account_id": account_id, "contract_id": contract_id, "role": role, "linked_at": at}
        return await _insert_if_absent(self.session, ContractAccess, values)

    async def merge(self, kept_account_id: str, merged_account_id: str) -> None:
        """The merged account's links become the kept one's (where it has none already)."""
        kept = select(ContractAccess.contract_id).where(ContractAccess.account_id == kept_account_id)
        await self.session.execute(
            update(ContractAccess)
            .where(
                ContractAccess.account_id == merged_account_id,
                ContractAccess.contract_id.not_in(kept),
            )
            .values(account_id=kept_account_id)
        )
        await self.session.execute(
            delete(ContractAccess).where(ContractAccess.account_id == merged_account_id)
        )


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


class Catalogue:
    """Products and their tariff periods."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def is_empty(self) -> bool:
        return await self.session.scalar(select(func.count()).select_from(Product)) == 0

    async def products(self, *, on_sale_only: bool = False) -> Sequence[Product]:
        query = select(Product).order_by(Product.code)
        if on_sale_only:
            query = query.where(Product.on_sale.is_(True))
        return (await self.session.scalars(query)).all()

    async def product(self, code: str) -> Product | None:
        return await self.session.get(Product, code)

    async def periods(self, product_codes: Sequence[str]) -> list[tuple[TariffPeriod, dict[str, Decimal]]]:
        """Every period of these products with its unit prices per register."""
        periods = (
            await self.session.scalars(
                select(TariffPeriod)
                .where(TariffPeriod.product_code.in_(product_codes))
                .order_by(TariffPeriod.product_code, TariffPeriod.commodity, TariffPeriod.valid_from)
            )
        ).all()
        prices: dict[int, dict[str, Decimal]] = {p.id: {} for p in periods}
        if periods:
            for row in await self.session.scalars(
                select(TariffPrice).where(TariffPrice.period_id.in_(list(prices)))
            ):
                prices[row.period_id][row.register] = row.unit_price
        return [(p, prices[p.id]) for p in periods]

    async def replace_periods(self, product_code: str, periods: Sequence[TariffPeriod]) -> None:
        """The product's periods become ``periods`` (each with its prices added by the caller)."""
        old = (
            await self.session.scalars(
                select(TariffPeriod.id).where(TariffPeriod.product_code == product_code)
            )
        ).all()
        if old:
            await self.session.execute(delete(TariffPrice).where(TariffPrice.period_id.in_(old)))
            await self.session.execute(delete(TariffPeriod).where(TariffPeriod.id.in_(old)))
        self.session.add_all(periods)
        await self.session.flush()

    def add(self, row: Base) -> None:
        self.session.add(row)


class Terms:
    """Contracts' product and option changes, and expected consumption."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of_contracts(self, contract_ids: Sequence[str]) -> dict[str, list[ContractTerms]]:
        """Each contract's terms rows, oldest effective first (recorded order breaks ties)."""
        found: dict[str, list[ContractTerms]] = {cid: [] for cid in contract_ids}
        rows = await self.session.scalars(
            select(ContractTerms)
            .where(ContractTerms.contract_id.in_(contract_ids))
            .order_by(ContractTerms.effective_from, ContractTerms.id)
        )
        for row in rows:
            found[row.contract_id].append(row)
        return found

    async def consumption(self, contract_ids: Sequence[str]) -> dict[str, dict[str, Decimal]]:
        found: dict[str, dict[str, Decimal]] = {cid: {} for cid in contract_ids}
        rows = await self.session.scalars(
            select(ExpectedConsumption).where(ExpectedConsumption.contract_id.in_(contract_ids))
        )
        for row in rows:
            found[row.contract_id][row.register] = row.annual_volume
        return found

    def add(self, row: Base) -> None:
        self.session.add(row)
