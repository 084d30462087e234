"""Billing's tables: the event-fed read models, invoices and the invoice number sequences."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, event, inspect
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

from billing.domain.errors import InvoiceError
from portal_chassis.columns import ExactDecimal, UtcDateTime


class Base(DeclarativeBase):
    pass


def _money() -> ExactDecimal:
    return ExactDecimal(14, 2)


class ContractView(Base):
    """Contracts as the contracts service announced them (ContractCreated)."""

    __tablename__ = "contract_view"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    commodity: Mapped[str] = mapped_column(String(20))
    product_code: Mapped[str] = mapped_column(String(50))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # set by ContractTerminated


class ReadingView(Base):
    """Meter readings as metering accepted them (MeterReadingReceived); one row per reading."""

    __tablename__ = "reading_view"
    __table_args__ = (Index("ix_reading_view_contract_read_at", "contract_id", "read_at"),)

    reading_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meter_id: Mapped[str] = mapped_column(String(64))
    contract_id: Mapped[str | None] = mapped_column(String(64))
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    register_type: Mapped[str] = mapped_column(String(30))
    value: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    unit: Mapped[str] = mapped_column(String(5))
    read_at: Mapped[datetime] = mapped_column(UtcDateTime())
    source: Mapped[str] = mapped_column(String(20))
    quality: Mapped[str] = mapped_column(String(20))


class InvoiceSequence(Base):
    """The last invoice number handed out per series and year (see domain/numbering.py)."""

    __tablename__ = "invoice_sequences"

    series: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class InvoiceRow(Base):
    """An issued invoice. Amounts are stored as issued, never recomputed."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_customer_issued", "customer_number", "issued_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10))
    customer_number: Mapped[str] = mapped_column(String(20))
    contract_id: Mapped[str | None] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    total_excl_vat: Mapped[Decimal] = mapped_column(_money())
    vat_total: Mapped[Decimal] = mapped_column(_money())
    total_incl_vat: Mapped[Decimal] = mapped_column(_money())
    currency: Mapped[str] = mapped_column(String(3))

    lines: Mapped[list[InvoiceLineRow]] = relationship(
        lazy="raise", order_by="InvoiceLineRow.position", cascade="all"
    )
    vat: Mapped[list[InvoiceVatRow]] = relationship(
        lazy="raise", order_by="InvoiceVatRow.rate", cascade="all"
    )


class InvoiceLineRow(Base):
    __tablename__ = "invoice_lines"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, 2, ... as printed
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    unit: Mapped[str | None] = mapped_column(String(5))
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(14, 6))
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(5, 4))
    amount_excl_vat: Mapped[Decimal] = mapped_column(_money())
    meter_id: Mapped[str | None] = mapped_column(String(64))
    register_type: Mapped[str | None] = mapped_column(String(30))


class InvoiceVatRow(Base):
    """VAT per rate as printed on the invoice."""

    __tablename__ = "invoice_vat"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    rate: Mapped[Decimal] = mapped_column(ExactDecimal(5, 4), primary_key=True)
    base: Mapped[Decimal] = mapped_column(_money())
    vat: Mapped[Decimal] = mapped_column(_money())


# Issued invoices are final: the ORM refuses to change or delete them. Only the payment status
# may move. (Bulk UPDATE statements bypass these hooks; repositories do not issue any.)
_MUTABLE_INVOICE_COLUMNS = frozenset({"status"})


@event.listens_for(InvoiceRow, "before_update")
def _only_status_changes(mapper: Mapper[Any], connection: Any, target: InvoiceRow) -> None:
    state = inspect(target)
    changed = {
        attr.key
        for attr in state.attrs
        if attr.key not in _MUTABLE_INVOICE_COLUMNS and attr.history.has_changes()
    }
    if changed:
        raise InvoiceError(f"issued invoices never change (tried: {', '.join(sorted(changed))})")


@event.listens_for(InvoiceRow, "before_delete")
@event.listens_for(InvoiceLineRow, "before_update")
@event.listens_for(InvoiceLineRow, "before_delete")
@event.listens_for(InvoiceVatRow, "before_update")
@event.listens_for(InvoiceVatRow, "before_delete")
def _final(mapper: Mapper[Any], connection: Any, target: object) -> None:
    raise InvoiceError("issued invoices never change")
