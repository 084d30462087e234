"""Every query billing makes, one class per aggregate or read model."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from billing.db.tables import (
    Base,
    BillingAccount,
    ContractProduct,
    ContractView,
    CustomerView,
    InvoiceLineRow,
    InvoiceRow,
    InvoiceSequence,
    InvoiceVatRow,
    ProductView,
    ReadingView,
    TariffPeriodRow,
)
from billing.domain.invoice import ZERO, Invoice
from billing.domain.settlement import MeterRead
from billing.domain.tariffs import ProductChange, TariffPeriod


async def _insert_if_absent(session: AsyncSession, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row is new."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


class ContractViews:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_absent(self, values: dict[str, Any]) -> bool:
        return await _insert_if_absent(self.session, ContractView, values)

    async def get(self, contract_id: str) -> ContractView | None:
        return await self.session.get(ContractView, contract_id)


class ContractProducts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, values: dict[str, Any]) -> None:
        """Insert or replace the row of (contract_id, effective_from): the latest amendment
        for a day wins."""
        row = await self.session.get(ContractProduct, (values["contract_id"], values["effective_from"]))
        if row is None:
            self.session.add(ContractProduct(**values))
        else:
            for key, value in values.items():
                setattr(row, key, value)

    async def history(self, contract_id: str) -> list[ProductChange]:
        rows = await self.session.scalars(
            select(ContractProduct)
            .where(ContractProduct.contract_id == contract_id)
            .order_by(ContractProduct.effective_from)
        )
        return [ProductChange(r.effective_from, r.product_code, r.e_invoice) for r in rows]


class Customers:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, customer_number: str) -> CustomerView | None:
        return await self.session.get(CustomerView, customer_number)

    async def get_or_create(self, customer_number: str) -> CustomerView:
        await _insert_if_absent(
            self.session,
            CustomerView,
            {"customer_number": customer_number, "language": "nl", "payment_method": "transfer"},
        )
        row = await self.session.get(CustomerView, customer_number, populate_existing=True)
        assert row is not None, "created above"
        return row


class Tariffs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def product(self, product_code: str) -> ProductView | None:
        return await self.session.get(ProductView, product_code)

    async def replace(self, product: dict[str, Any], periods: list[dict[str, Any]]) -> None:
        """Store a product's name and all its periods, replacing what was stored."""
        await self.session.execute(
            delete(TariffPeriodRow).where(TariffPeriodRow.product_code == product["product_code"])
        )
        row = await self.session.get(ProductView, product["product_code"])
        if row is None:
            self.session.add(ProductView(**product))
        else:
            for key, value in product.items():
                setattr(row, key, value)
        self.session.add_all(TariffPeriodRow(**values) for values in periods)
        await self.session.flush()

    async def periods(self, product_code: str, commodity: str) -> list[TariffPeriod]:
        rows = await self.session.scalars(
            select(TariffPeriodRow)
            .where(TariffPeriodRow.product_code == product_code, TariffPeriodRow.commodity == commodity)
            .order_by(TariffPeriodRow.valid_from)
        )
        return [tariff_period(r) for r in rows]


def tariff_period(row: TariffPeriodRow) -> TariffPeriod:
    return TariffPeriod(
        product_code=row.product_code,
        commodity=row.commodity,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        vat_rate=row.vat_rate,
        unit_prices={register: Decimal(price) for register, price in row.unit_prices.items()},
        fixed_costs_per_day=row.fixed_costs_per_day,
        feed_in_compensation_per_kwh=row.feed_in_compensation_per_kwh,
        feed_in_costs_per_kwh=row.feed_in_costs_per_kwh,
    )


class BillingAccounts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_absent(self, values: dict[str, Any]) -> bool:
        return await _insert_if_absent(self.session, BillingAccount, values)

    async def get(self, contract_id: str) -> BillingAccount | None:
        return await self.session.get(BillingAccount, contract_id)


class ReadingViews:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_absent(self, values: dict[str, Any]) -> bool:
        return await _insert_if_absent(self.session, ReadingView, values)

    async def for_contract(
        self, contract_id: str, since: datetime | None, until: datetime
    ) -> list[MeterRead]:
        """Readings of the contract taken in [since, until), oldest first."""
        query = select(ReadingView).where(ReadingView.contract_id == contract_id, ReadingView.read_at < until)
        if since is not None:
            query = query.where(ReadingView.read_at >= since)
        rows = await self.session.scalars(query.order_by(ReadingView.read_at))
        return [MeterRead(r.meter_id, r.register_type, r.unit, r.value, r.read_at) for r in rows]


def locked_sequence(series: str, year: int) -> Select[InvoiceSequence]:
    """SELECT ... FOR UPDATE of one sequence row, re-read even if the session holds it."""
    return (
        select(InvoiceSequence)
        .where(InvoiceSequence.series == series, InvoiceSequence.year == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


class InvoiceSequences:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def next_number(self, series: str, year: int) -> int:
        """Take the next number of a series and year, inside the caller's transaction.

        The row is locked (SELECT ... FOR UPDATE on PostgreSQL) until that transaction ends, so
        a concurrent issuer waits and then continues from the committed value: no two invoices
        share a number, and a rollback returns the number with nothing skipped. The first
        invoice of a year creates the row; ON CONFLICT lets two first issuers meet on one row.
        SQLite ignores FOR UPDATE but lets one writer at a time, which gives the same result.
        """
        await _insert_if_absent(
            self.session, InvoiceSequence, {"series": series, "year": year, "last_number": 0}
        )
        sequence = await self.session.scalar(locked_sequence(series, year))
        assert sequence is not None, "created above"
        sequence.last_number += 1
        await self.session.flush()
        return sequence.last_number


class Invoices:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, invoice: Invoice) -> InvoiceRow:
        totals = invoice.totals
        row = InvoiceRow(
            id=invoice.id,
            number=invoice.number,
            kind=invoice.kind,
            status=invoice.status,
            customer_number=invoice.customer_number,
            contract_id=invoice.contract_id,
            issued_at=invoice.issued_at,
            issue_date=invoice.issue_date,
            due_date=invoice.due_date,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            total_excl_vat=totals.excl_vat,
            vat_total=totals.vat_total,
            total_incl_vat=totals.incl_vat,
            currency="EUR",
            open_amount=ZERO if invoice.status == "paid" else totals.incl_vat,
            credits_invoice_id=invoice.credits_invoice_id,
            estimated=invoice.estimated,
            e_invoice=invoice.e_invoice,
            lines=[
                InvoiceLineRow(
                    position=position,
                    kind=line.kind,
                    description=line.description,
                    quantity=line.quantity,
                    unit=line.unit,
                    unit_price=line.unit_price,
                    vat_rate=line.vat_rate,
                    amount_excl_vat=line.amount_excl_vat,
                    meter_id=line.meter_id,
                    register_type=line.register_type,
                )
                for position, line in enumerate(invoice.lines, start=1)
            ],
            vat=[InvoiceVatRow(rate=v.rate, base=v.base, vat=v.vat) for v in totals.vat],
        )
        self.session.add(row)
        return row

    async def final_settlement_of(self, contract_id: str) -> InvoiceRow | None:
        row: InvoiceRow | None = await self.session.scalar(
            select(InvoiceRow)
            .where(InvoiceRow.contract_id == contract_id, InvoiceRow.kind == "final_settlement")
            .limit(1)
        )
        return row

    async def page_for_customer(
        self, customer_number: str, *, limit: int, offset: int
    ) -> tuple[list[InvoiceRow], int]:
        """The customer's invoices, newest first (the number breaks ties within one instant)."""
        mine = InvoiceRow.customer_number == customer_number
        total = await self.session.scalar(select(func.count()).select_from(InvoiceRow).where(mine))
        rows = await self.session.scalars(
            select(InvoiceRow)
            .where(mine)
            .order_by(InvoiceRow.issued_at.desc(), InvoiceRow.number.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows), int(total or 0)

    async def for_customer(self, invoice_id: str, customer_number: str) -> InvoiceRow | None:
        """One invoice with its lines, only when it belongs to the customer."""
        row: InvoiceRow | None = await self.session.scalar(
            select(InvoiceRow)
            .where(InvoiceRow.id == invoice_id, InvoiceRow.customer_number == customer_number)
            .options(selectinload(InvoiceRow.lines), selectinload(InvoiceRow.vat))
        )
        return row
