"""Every query billing makes, one class per aggregate or read model."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Date,
    Select,
    Table,
    Update,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from billing.db.tables import (
    AdvancePlanRow,
    AllocationRow,
    Base,
    BillingAccount,
    CardCheckoutRow,
    ContractProduct,
    ContractView,
    CustomerView,
    DirectDebitCollection,
    DirectDebitItem,
    DunningStepRow,
    InvoiceLineRow,
    InvoiceRow,
    InvoiceSequence,
    InvoiceVatRow,
    PaymentRow,
    ProductView,
    ReadingView,
    SettlementIndexRow,
    SupplyAddressChange,
    TariffPeriodRow,
)
from billing.domain.advances import PlannedAdvance
from billing.domain.invoice import ZERO, Invoice
from billing.domain.settlement import Index, MeterRead
from billing.domain.tariffs import ProductChange, TariffPeriod
from portal_chassis.calendar import calendar_day


async def _insert_if_absent(session: AsyncSession, model: type[Base], values: dict[str, Any]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row is new."""
    dialect = session.bind.dialect.name if session.bind is not None else ""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    result = await session.execute(insert(model).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _write_lock_on_sqlite(session: AsyncSession, no_op: Update) -> None:
    """Before a SELECT ... FOR UPDATE: flush this session's changes and, on SQLite, which
    ignores FOR UPDATE and begins a transaction at its first write, run ``no_op`` (a write that
    changes nothing) so the database's write lock is taken first."""
    await session.flush()
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(no_op.execution_options(synchronize_session=False))


class ContractViews:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_absent(self, values: dict[str, Any]) -> bool:
        return await _insert_if_absent(self.session, ContractView, values)

    async def get(self, contract_id: str) -> ContractView | None:
        return await self.session.get(ContractView, contract_id)


class SupplyAddressChanges:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def put(self, values: dict[str, Any]) -> None:
        """Insert or replace the row of (contract_id, effective_from): the latest move to a day
        wins."""
        row = await self.session.get(SupplyAddressChange, (values["contract_id"], values["effective_from"]))
        if row is None:
            self.session.add(SupplyAddressChange(**values))
        else:
            for key, value in values.items():
                setattr(row, key, value)

    async def history(self, contract_id: str) -> list[SupplyAddressChange]:
        rows = await self.session.scalars(
            select(SupplyAddressChange)
            .where(SupplyAddressChange.contract_id == contract_id)
            .order_by(SupplyAddressChange.effective_from)
        )
        return list(rows)


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

    async def lock(self, contract_id: str) -> BillingAccount | None:
        """The account re-read and locked until the transaction ends (SELECT ... FOR UPDATE):
        a second settlement of the contract waits, then sees what the first one settled."""
        await _write_lock_on_sqlite(
            self.session,
            update(BillingAccount)
            .where(BillingAccount.contract_id == contract_id)
            .values(contract_id=BillingAccount.contract_id),
        )
        row: BillingAccount | None = await self.session.scalar(
            select(BillingAccount)
            .where(BillingAccount.contract_id == contract_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return row


class ReadingViews:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_if_absent(self, values: dict[str, Any]) -> bool:
        return await _insert_if_absent(self.session, ReadingView, values)

    async def for_contract(self, contract_id: str, zone: ZoneInfo) -> list[MeterRead]:
        """Every reading of the contract, oldest first, dated in the customer's zone."""
        rows = await self.session.scalars(
            select(ReadingView).where(ReadingView.contract_id == contract_id).order_by(ReadingView.read_at)
        )
        return [
            MeterRead(
                meter_id=r.meter_id,
                register_type=r.register_type,
                unit=r.unit,
                value=r.value,
                read_at=r.read_at,
                day=calendar_day(r.read_at, zone),
                rollover_capacity=r.rollover_capacity,
                final=r.final,
                actual=r.quality != "estimated",
            )
            for r in rows
        ]


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
        self,
        customer_number: str,
        *,
        limit: int,
        offset: int,
        year: int | None = None,
        status: str | None = None,
    ) -> tuple[list[InvoiceRow], int]:
        """The customer's invoices, newest first (the number breaks ties within one instant),
        of one issue year and one status when given."""
        mine = [InvoiceRow.customer_number == customer_number]
        if year is not None:
            mine.append(InvoiceRow.issue_date.between(date(year, 1, 1), date(year, 12, 31)))
        if status is not None:
            mine.append(InvoiceRow.status == status)
        total = await self.session.scalar(select(func.count()).select_from(InvoiceRow).where(*mine))
        rows = await self.session.scalars(
            select(InvoiceRow)
            .where(*mine)
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


class Payments:
    """Payments, their allocations and the open items a customer's balance is made of.

    Reads re-load rows the session already holds (another transaction may have changed them
    before the customer's lock was taken), after flushing this session's own changes: the
    sessions do not autoflush."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_customer(self, customer_number: str) -> None:
        """Lock the customer's row until the transaction ends, so allocations of one customer
        (a webhook, an operator's transfer, a returned debit) run one after the other and never
        spend the same credit twice. SQLite has one writer at a time anyway."""
        await Customers(self.session).get_or_create(customer_number)
        await self.session.execute(
            select(CustomerView.customer_number)
            .where(CustomerView.customer_number == customer_number)
            .with_for_update()
        )

    async def add_if_absent(self, values: dict[str, Any]) -> bool:
        """False when (channel, reference) is already booked."""
        return await _insert_if_absent(self.session, PaymentRow, values)

    async def get(self, payment_id: str) -> PaymentRow | None:
        await self.session.flush()
        row: PaymentRow | None = await self.session.scalar(
            select(PaymentRow).where(PaymentRow.id == payment_id).execution_options(populate_existing=True)
        )
        return row

    async def by_reference(self, channel: str, reference: str) -> PaymentRow | None:
        await self.session.flush()
        row: PaymentRow | None = await self.session.scalar(
            select(PaymentRow)
            .where(PaymentRow.channel == channel, PaymentRow.reference == reference)
            .execution_options(populate_existing=True)
        )
        return row

    async def with_credit(self, customer_number: str) -> list[PaymentRow]:
        await self.session.flush()
        rows = await self.session.scalars(
            select(PaymentRow)
            .where(
                PaymentRow.customer_number == customer_number,
                PaymentRow.status == "booked",
                PaymentRow.unallocated > 0,
            )
            .execution_options(populate_existing=True)
        )
        return list(rows)

    async def open_invoices(self, customer_number: str) -> list[InvoiceRow]:
        """Open invoices with something to pay or to set off (open amount not zero)."""
        await self.session.flush()
        rows = await self.session.scalars(
            select(InvoiceRow)
            .where(
                InvoiceRow.customer_number == customer_number,
                InvoiceRow.status == "open",
                InvoiceRow.open_amount != 0,
            )
            .execution_options(populate_existing=True)
        )
        return list(rows)

    def allocate(self, row: AllocationRow) -> None:
        self.session.add(row)

    async def allocations_of(self, payment_id: str) -> list[AllocationRow]:
        rows = await self.session.scalars(
            select(AllocationRow).where(AllocationRow.payment_id == payment_id).order_by(AllocationRow.id)
        )
        return list(rows)

    async def invoices(self, invoice_ids: set[str]) -> dict[str, InvoiceRow]:
        await self.session.flush()
        rows = await self.session.scalars(
            select(InvoiceRow).where(InvoiceRow.id.in_(invoice_ids)).execution_options(populate_existing=True)
        )
        return {row.id: row for row in rows}


class CardCheckouts:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: CardCheckoutRow) -> None:
        self.session.add(row)

    async def by_provider_reference(self, provider_reference: str) -> CardCheckoutRow | None:
        row: CardCheckoutRow | None = await self.session.scalar(
            select(CardCheckoutRow).where(CardCheckoutRow.provider_reference == provider_reference)
        )
        return row


class DunningSteps:
    """Reminder steps sent for overdue invoices."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def overdue(self, *, today: date, due_by: date) -> list[tuple[InvoiceRow, int, date | None]]:
        """Open invoices with something to pay, due on or before ``due_by``, each with the last
        step sent and its day (0 and None for none); not those in a direct-debit collection
        still to be taken (collection date today or later: the money is on its way)."""
        # Steps are sent in order, so the highest step is also the latest one sent.
        last = (
            select(
                DunningStepRow.invoice_id,
                func.max(DunningStepRow.step).label("step"),
                func.max(DunningStepRow.sent_on).label("sent_on"),
            )
            .group_by(DunningStepRow.invoice_id)
            .subquery()
        )
        being_collected = (
            select(DirectDebitItem.invoice_id)
            .join(DirectDebitCollection, DirectDebitCollection.id == DirectDebitItem.collection_id)
            .where(
                DirectDebitItem.invoice_id == InvoiceRow.id,
                DirectDebitItem.status == "collected",
                DirectDebitCollection.collection_date >= today,
            )
            .exists()
        )
        rows = await self.session.execute(
            select(InvoiceRow, func.coalesce(last.c.step, 0), last.c.sent_on)
            .outerjoin(last, last.c.invoice_id == InvoiceRow.id)
            .where(
                InvoiceRow.status == "open",
                InvoiceRow.open_amount > 0,
                InvoiceRow.due_date <= due_by,
                ~being_collected,
            )
            .order_by(InvoiceRow.due_date, InvoiceRow.number)
        )
        return [(invoice, int(step), sent_on) for invoice, step, sent_on in rows]

    async def claim(self, invoice_id: str, step: int, sent_on: date) -> bool:
        """Record a step; False when it was already recorded (by an earlier or concurrent run)."""
        return await _insert_if_absent(
            self.session, DunningStepRow, {"invoice_id": invoice_id, "step": step, "sent_on": sent_on}
        )


class DirectDebits:
    """Direct-debit collections (one pain.008 file each) and their items, one per invoice."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def due(self, collection_date: date) -> list[tuple[InvoiceRow, CustomerView]]:
        """Open invoices with something to pay, due by ``collection_date``, of customers who pay
        by direct debit under a mandate, never debited before; by customer, oldest first."""
        debited = (
            select(DirectDebitItem.invoice_id).where(DirectDebitItem.invoice_id == InvoiceRow.id).exists()
        )
        rows = await self.session.execute(
            select(InvoiceRow, CustomerView)
            .join(CustomerView, CustomerView.customer_number == InvoiceRow.customer_number)
            .where(
                CustomerView.payment_method == "direct_debit",
                CustomerView.mandate_reference.is_not(None),
                CustomerView.mandate_signed_on.is_not(None),
                CustomerView.sealed_iban.is_not(None),
                InvoiceRow.status == "open",
                InvoiceRow.open_amount > 0,
                InvoiceRow.due_date <= collection_date,
                ~debited,
            )
            .order_by(
                InvoiceRow.customer_number, InvoiceRow.due_date, InvoiceRow.issue_date, InvoiceRow.number
            )
        )
        return [(invoice, customer) for invoice, customer in rows]

    async def debited_mandates(self, references: set[str]) -> set[str]:
        """The mandates among ``references`` that were debited before (in any earlier file)."""
        if not references:
            return set()
        rows = await self.session.scalars(
            select(DirectDebitItem.mandate_reference)
            .where(DirectDebitItem.mandate_reference.in_(references))
            .distinct()
        )
        return set(rows)

    def add_collection(self, row: DirectDebitCollection) -> None:
        self.session.add(row)

    async def claim_item(self, values: dict[str, Any]) -> bool:
        """Insert an item; False when its end-to-end id (its invoice) is already in a file."""
        return await _insert_if_absent(self.session, DirectDebitItem, values)

    async def item(self, end_to_end_id: str) -> DirectDebitItem | None:
        return await self.session.get(DirectDebitItem, end_to_end_id, populate_existing=True)


class AdvancePlans:
    """Contracts' monthly advance plans, the months their advance invoices cover, and the lock
    that serialises a product's first plans (a change of a contract's advance or billing mode
    locks its billing account: BillingAccounts.lock)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_contract(self, contract_id: str) -> list[PlannedAdvance]:
        rows = await self.session.execute(
            select(AdvancePlanRow.effective_from, AdvancePlanRow.amount)
            .where(AdvancePlanRow.contract_id == contract_id)
            .order_by(AdvancePlanRow.effective_from)
        )
        return [PlannedAdvance(effective_from, amount) for effective_from, amount in rows]

    async def add_if_absent(self, values: dict[str, Any]) -> bool:
        return await _insert_if_absent(self.session, AdvancePlanRow, values)

    async def put(self, values: dict[str, Any]) -> None:
        """Insert or replace the plan of (contract_id, effective_from): the latest change for
        a period wins."""
        row = await self.session.get(AdvancePlanRow, (values["contract_id"], values["effective_from"]))
        if row is None:
            self.session.add(AdvancePlanRow(**values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
        await self.session.flush()

    async def advance_invoices(self, contract_id: str, since: date, until: date) -> list[InvoiceRow]:
        """The contract's advance invoices whose period starts in [since, until)."""
        rows = await self.session.scalars(
            select(InvoiceRow)
            .where(
                InvoiceRow.contract_id == contract_id,
                InvoiceRow.kind == "advance",
                InvoiceRow.period_start >= since,
                InvoiceRow.period_start < until,
            )
            .order_by(InvoiceRow.period_start)
        )
        return list(rows)

    async def invoiced_months(self, contract_id: str, since: date) -> set[date]:
        """The first days of the months from ``since`` on that have an advance invoice."""
        starts = await self.session.scalars(
            select(InvoiceRow.period_start).where(
                InvoiceRow.contract_id == contract_id,
                InvoiceRow.kind == "advance",
                InvoiceRow.period_start >= since,
            )
        )
        return {start.replace(day=1) for start in starts if start is not None}

    async def lock_product(self, product_code: str) -> None:
        """Serialise the first plans of a product's contracts (a new contract) with the
        product's tariffs arriving (TariffsPublished): whichever runs second sees the other's
        commit, so a contract whose tariffs come at the same moment still gets its plan.
        PostgreSQL only (an advisory lock per product); SQLite has one writer at a time."""
        if self.session.get_bind().dialect.name == "postgresql":
            key = zlib.crc32(f"advance-plans:{product_code}".encode())
            await self.session.execute(select(func.pg_advisory_xact_lock(key)))

    async def contracts_without_plan(self, product_code: str, supplying_on: date) -> list[ContractView]:
        """Contracts in monthly-advance billing that have no plan at all, are not withdrawn,
        still supply on ``supplying_on`` (or later), and had ``product_code`` at some point
        (the caller checks it was the product at the start)."""
        had_product = exists().where(
            ContractProduct.contract_id == ContractView.contract_id,
            ContractProduct.product_code == product_code,
        )
        rows = await self.session.scalars(
            select(ContractView)
            .join(BillingAccount, BillingAccount.contract_id == ContractView.contract_id)
            .where(
                (ContractView.product_code == product_code) | had_product,
                ~ContractView.withdrawn,
                (ContractView.end_date.is_(None)) | (ContractView.end_date >= supplying_on),
                BillingAccount.mode == "monthly_advance",
                ~exists().where(AdvancePlanRow.contract_id == ContractView.contract_id),
            )
            .order_by(ContractView.contract_id)
        )
        return list(rows)


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


class ToInvoice(NamedTuple):
    """A contract the advance run still has to invoice for the month."""

    contract_id: str
    customer_number: str
    period_start: date  # the month's first day, or the start of supply
    end_date: date | None
    amount: Decimal | None  # the advance in force on period_start; None without a plan
    e_invoice: bool | None  # the option on the issue date
    has_credit: bool  # unallocated payments or an open invoice below zero


class AdvanceRunBatches:
    """The monthly advance run's set-based statements: thousands of contracts per statement,
    never one ORM object per invoice."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def apply_due_modes(self, day: date) -> int:
        """Billing-mode changes due on or before ``day`` become the accounts' mode."""
        result = await self.session.execute(
            update(BillingAccount)
            .where(BillingAccount.next_mode.is_not(None), BillingAccount.next_mode_from <= day)
            .values(mode=BillingAccount.next_mode, next_mode=None, next_mode_from=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def take_sequence(self, series: str, year: int) -> int:
        """Lock the series' sequence row until the transaction ends; returns its last number.

        Taken before the contracts still to invoice are selected: a second run waits here, and
        its selection then sees every invoice the first one committed."""
        await _insert_if_absent(
            self.session, InvoiceSequence, {"series": series, "year": year, "last_number": 0}
        )
        last: int | None = await self.session.scalar(
            select(InvoiceSequence.last_number)
            .where(InvoiceSequence.series == series, InvoiceSequence.year == year)
            .with_for_update()
        )
        assert last is not None, "created above"
        return last

    async def set_sequence(self, series: str, year: int, last_number: int) -> None:
        await self.session.execute(
            update(InvoiceSequence)
            .where(InvoiceSequence.series == series, InvoiceSequence.year == year)
            .values(last_number=last_number)
            .execution_options(synchronize_session=False)
        )

    async def still_to_invoice(
        self, first: date, last: date, issue_date: date, *, after: str, limit: int
    ) -> list[ToInvoice]:
        """Up to ``limit`` contracts after ``after`` (by id) in monthly-advance billing that
        supply during [first, last], are not withdrawn and have no advance invoice for the
        month yet."""
        period_start = case(
            (ContractView.start_date > first, ContractView.start_date), else_=literal(first, Date())
        )
        amount = (
            select(AdvancePlanRow.amount)
            .where(
                AdvancePlanRow.contract_id == ContractView.contract_id,
                AdvancePlanRow.effective_from <= period_start,
            )
            .order_by(AdvancePlanRow.effective_from.desc())
            .limit(1)
            .correlate(ContractView)
            .scalar_subquery()
        )
        e_invoice = (
            select(ContractProduct.e_invoice)
            .where(
                ContractProduct.contract_id == ContractView.contract_id,
                ContractProduct.effective_from <= issue_date,
            )
            .order_by(ContractProduct.effective_from.desc())
            .limit(1)
            .correlate(ContractView)
            .scalar_subquery()
        )
        invoiced = exists().where(
            InvoiceRow.contract_id == ContractView.contract_id,
            InvoiceRow.kind == "advance",
            InvoiceRow.period_start == period_start,
        )
        paid_ahead = exists().where(
            PaymentRow.customer_number == ContractView.customer_number,
            PaymentRow.status == "booked",
            PaymentRow.unallocated > 0,
        )
        owed_to_them = exists().where(
            InvoiceRow.customer_number == ContractView.customer_number,
            InvoiceRow.status == "open",
            InvoiceRow.open_amount < 0,
        )
        rows = await self.session.execute(
            select(
                ContractView.contract_id,
                ContractView.customer_number,
                period_start,
                ContractView.end_date,
                amount,
                e_invoice,
                paid_ahead | owed_to_them,
            )
            .join(BillingAccount, BillingAccount.contract_id == ContractView.contract_id)
            .where(
                ContractView.contract_id > after,
                ContractView.start_date <= last,
                ContractView.end_date.is_(None) | (ContractView.end_date >= first),
                ~ContractView.withdrawn,
                BillingAccount.mode == "monthly_advance",
                ~invoiced,
            )
            .order_by(ContractView.contract_id)
            .limit(limit)
        )
        return [
            ToInvoice(contract_id, customer, start, end, amount, e_invoice_, bool(credit))
            for contract_id, customer, start, end, amount, e_invoice_, credit in rows
        ]

    async def insert(self, invoices: list[Invoice]) -> Decimal:
        """Invoices with their lines and VAT rows, stored as Invoices.add stores one; returns
        their total incl. VAT. On PostgreSQL one COPY per table (inside the transaction),
        elsewhere one multi-row statement per table."""
        rows: list[dict[str, Any]] = []
        lines: list[dict[str, Any]] = []
        vat: list[dict[str, Any]] = []
        total = ZERO
        for invoice in invoices:
            totals = invoice.totals
            total += totals.incl_vat
            rows.append(
                {
                    "id": invoice.id,
                    "number": invoice.number,
                    "kind": invoice.kind,
                    "status": invoice.status,
                    "customer_number": invoice.customer_number,
                    "contract_id": invoice.contract_id,
                    "issued_at": invoice.issued_at,
                    "issue_date": invoice.issue_date,
                    "due_date": invoice.due_date,
                    "period_start": invoice.period_start,
                    "period_end": invoice.period_end,
                    "total_excl_vat": totals.excl_vat,
                    "vat_total": totals.vat_total,
                    "total_incl_vat": totals.incl_vat,
                    "currency": "EUR",
                    "open_amount": ZERO if invoice.status == "paid" else totals.incl_vat,
                    "credits_invoice_id": invoice.credits_invoice_id,
                    "estimated": invoice.estimated,
                    "e_invoice": invoice.e_invoice,
                }
            )
            lines.extend(
                {
                    "invoice_id": invoice.id,
                    "position": position,
                    "kind": line.kind,
                    "description": line.description,
                    "quantity": line.quantity,
                    "unit": line.unit,
                    "unit_price": line.unit_price,
                    "vat_rate": line.vat_rate,
                    "amount_excl_vat": line.amount_excl_vat,
                    "meter_id": line.meter_id,
                    "register_type": line.register_type,
                }
                for position, line in enumerate(invoice.lines, start=1)
            )
            vat.extend(
                {"invoice_id": invoice.id, "rate": v.rate, "base": v.base, "vat": v.vat} for v in totals.vat
            )
        for model, values in ((InvoiceRow, rows), (InvoiceLineRow, lines), (InvoiceVatRow, vat)):
            if values:
                await self._insert_many(_table(model), values)
        return total

    async def _insert_many(self, table: Table, values: list[dict[str, Any]]) -> None:
        if self.session.get_bind().dialect.name != "postgresql":
            await self.session.execute(insert(table), values)
            return
        # COPY on the session's own connection, so it joins the transaction. The values are
        # already what the columns hold (Decimals at their scale, aware datetimes).
        connection = await (await self.session.connection()).get_raw_connection()
        columns = list(values[0])
        await connection.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
            table.name, records=[tuple(row.values()) for row in values], columns=columns
        )


# The invoice kinds that settle consumption (every kind but advances and credit notes).
SETTLEMENT_KINDS = ("periodic", "quarterly", "annual_settlement", "final_settlement")


@dataclass(frozen=True)
class AccountSnapshot:
    contract_id: str
    mode: str
    next_mode: str | None
    next_mode_from: date | None
    settled_through: date | None
    start_date: date
    end_date: date | None


class Settlements:
    """What settlements read besides the read models: accounts due, advances, earlier
    settlements."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def accounts_in(self, mode: str) -> list[AccountSnapshot]:
        """Contracts (not withdrawn) billed in ``mode`` or changing to it, as they are now
        (unlocked: a run picks the due ones from these, then locks each and looks again)."""
        rows = await self.session.execute(
            select(
                BillingAccount.contract_id,
                BillingAccount.mode,
                BillingAccount.next_mode,
                BillingAccount.next_mode_from,
                BillingAccount.settled_through,
                ContractView.start_date,
                ContractView.end_date,
            )
            .join(ContractView, ContractView.contract_id == BillingAccount.contract_id)
            .where(
                (BillingAccount.mode == mode) | (BillingAccount.next_mode == mode), ~ContractView.withdrawn
            )
            .order_by(BillingAccount.contract_id)
        )
        return [AccountSnapshot(*row) for row in rows]

    async def finals_due(self, today: date) -> list[str]:
        rows = await self.session.scalars(
            select(BillingAccount.contract_id)
            .where(BillingAccount.final_due_on <= today)
            .order_by(BillingAccount.final_due_on, BillingAccount.contract_id)
        )
        return list(rows)

    async def advances(self, contract_id: str, start: date, end: date) -> tuple[Decimal, int]:
        """The sum and number of the contract's advance invoices for months starting in
        [start, end] (each advance counts in exactly one settlement), credited ones left out."""
        row = (
            await self.session.execute(
                select(func.coalesce(func.sum(InvoiceRow.total_incl_vat), 0), func.count()).where(
                    InvoiceRow.contract_id == contract_id,
                    InvoiceRow.kind == "advance",
                    InvoiceRow.status != "credited",
                    InvoiceRow.period_start >= start,
                    InvoiceRow.period_start <= end,
                )
            )
        ).one()
        return Decimal(row[0]), int(row[1])

    async def latest(self, contract_id: str) -> InvoiceRow | None:
        """The contract's settlement with the latest period, unless credited."""
        row: InvoiceRow | None = await self.session.scalar(
            select(InvoiceRow)
            .where(
                InvoiceRow.contract_id == contract_id,
                InvoiceRow.kind.in_(SETTLEMENT_KINDS),
                InvoiceRow.status != "credited",
                InvoiceRow.period_end.is_not(None),
            )
            .order_by(InvoiceRow.period_end.desc(), InvoiceRow.issued_at.desc())
            .limit(1)
            .execution_options(populate_existing=True)
        )
        return row

    async def invoice_for_update(self, invoice_id: str) -> InvoiceRow | None:
        """One invoice with its lines, locked until the transaction ends (a second credit note
        for it waits and then finds it credited)."""
        await _write_lock_on_sqlite(
            self.session,
            update(InvoiceRow).where(InvoiceRow.id == invoice_id).values(status=InvoiceRow.status),
        )
        row: InvoiceRow | None = await self.session.scalar(
            select(InvoiceRow)
            .where(InvoiceRow.id == invoice_id)
            .options(selectinload(InvoiceRow.lines))
            .with_for_update(of=InvoiceRow)
            .execution_options(populate_existing=True)
        )
        return row


class SettlementIndexes:
    """The closing indexes of settlements (the next one opens on them)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(
        self, invoice_id: str, contract_id: str, day: date, indexes: list[tuple[str, str, Index]]
    ) -> None:
        self.session.add_all(
            SettlementIndexRow(
                invoice_id=invoice_id,
                meter_id=meter_id,
                register_type=register,
                contract_id=contract_id,
                day=day,
                value=index.value,
                kind=index.kind,
                estimated=index.estimated,
            )
            for meter_id, register, index in indexes
        )

    async def closing_of(self, contract_id: str, day: date) -> dict[tuple[str, str], Index]:
        """The indexes the contract's settlement ending on ``day`` closed on (not credited)."""
        rows = await self.session.scalars(
            select(SettlementIndexRow)
            .join(InvoiceRow, InvoiceRow.id == SettlementIndexRow.invoice_id)
            .where(
                SettlementIndexRow.contract_id == contract_id,
                SettlementIndexRow.day == day,
                InvoiceRow.status != "credited",
            )
        )
        return {
            (r.meter_id, r.register_type): Index(r.value, r.day, "settled", estimated=r.estimated)
            for r in rows
        }


class InvoiceDocuments:
    """What an invoice's PDF and a proof of address read besides the invoice itself."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def number_of(self, invoice_id: str) -> str | None:
        number: str | None = await self.session.scalar(
            select(InvoiceRow.number).where(InvoiceRow.id == invoice_id)
        )
        return number

    async def latest_with_contract(
        self, customer_number: str, contract_id: str | None = None
    ) -> tuple[InvoiceRow, ContractView] | None:
        """The customer's latest invoice of a contract billing knows (of ``contract_id`` when
        given, which must be the customer's), with that contract."""
        query = (
            select(InvoiceRow, ContractView)
            .join(ContractView, ContractView.contract_id == InvoiceRow.contract_id)
            .where(
                InvoiceRow.customer_number == customer_number, ContractView.customer_number == customer_number
            )
            .order_by(InvoiceRow.issued_at.desc(), InvoiceRow.number.desc())
            .limit(1)
        )
        if contract_id is not None:
            query = query.where(InvoiceRow.contract_id == contract_id)
        found = (await self.session.execute(query)).first()
        return None if found is None else (found[0], found[1])


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


class DocumentRetention:
    """The statements of the retention purge (use_cases/retention.py).

    Issued invoices never change and the ORM refuses to delete them (tables.py); removing them
    once their retention is over is the one exception, so these are bulk DELETE statements,
    which do not pass through those per-row hooks."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def expired(self, cutoff: date) -> set[str]:
        """Invoices issued before ``cutoff`` that are not open (nothing left to pay or set off)."""
        rows = await self.session.scalars(
            select(InvoiceRow.id).where(InvoiceRow.issue_date < cutoff, InvoiceRow.status != "open")
        )
        return set(rows)

    async def still_needed(self, ids: set[str]) -> set[str]:
        """Those of ``ids`` that an invoice outside ``ids`` still refers to: the invoice a kept
        credit note credits, and a credit note whose credit settled a kept invoice."""
        needed: set[str | None] = set()
        for chunk in _chunks(sorted(ids)):
            credited = await self.session.execute(
                select(InvoiceRow.credits_invoice_id, InvoiceRow.id).where(
                    InvoiceRow.credits_invoice_id.in_(chunk)
                )
            )
            needed |= {original for original, credit_note in credited if credit_note not in ids}
            spent = await self.session.execute(
                select(AllocationRow.credit_note_id, AllocationRow.invoice_id).where(
                    AllocationRow.credit_note_id.in_(chunk)
                )
            )
            needed |= {credit_note for credit_note, invoice in spent if invoice not in ids}
        return {invoice_id for invoice_id in needed if invoice_id is not None}

    async def delete(self, ids: set[str]) -> dict[str, int]:
        """Delete the invoices and every row that refers to them; rows deleted per table."""
        counts: dict[str, int] = {}
        ordered = sorted(ids)
        for table, columns in _rows_referring_to_invoices():
            deleted = 0
            for chunk in _chunks(ordered):
                condition = or_(*(column.in_(chunk) for column in columns))
                result = await self.session.execute(delete(table).where(condition))
                deleted += int(result.rowcount)  # type: ignore[attr-defined]
            counts[table.name] = deleted
        # Credit notes first: they refer to the invoices they credit.
        deleted = 0
        for credit_notes_first in (
            InvoiceRow.credits_invoice_id.is_not(None),
            InvoiceRow.credits_invoice_id.is_(None),
        ):
            for chunk in _chunks(ordered):
                result = await self.session.execute(
                    delete(InvoiceRow).where(InvoiceRow.id.in_(chunk), credit_notes_first)
                )
                deleted += int(result.rowcount)  # type: ignore[attr-defined]
        counts[InvoiceRow.__tablename__] = deleted
        return counts


def _rows_referring_to_invoices() -> list[tuple[Table, list[Column[Any]]]]:
    """Every table with a foreign key to invoices (lines, VAT, allocations, dunning steps,
    debit items, card checkouts, settlement indexes, and any added later), with its columns
    that refer to an invoice."""
    invoices = InvoiceRow.__table__
    found: list[tuple[Table, list[Column[Any]]]] = []
    for table in Base.metadata.sorted_tables:
        if table is invoices:
            continue
        columns = [fk.parent for fk in table.foreign_keys if fk.column.table is invoices]
        if columns:
            found.append((table, columns))
    return found
