"""Billing's tables.

- Read models fed by other services' events: contracts (with their product history and supply
  address), customers (name and IBAN kept sealed), tariffs, meter readings.
- Billing's own data: billing accounts (mode, e-invoice), advance plans, invoices with their
  lines and VAT, the indexes settlements closed on, invoice number sequences, payments and
  their allocation to invoices, card checkouts, direct-debit collections, dunning steps.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column, relationship

from billing.domain.errors import InvoiceError
from portal_chassis.columns import ExactDecimal, UtcDateTime


class Base(DeclarativeBase):
    pass


def _money() -> ExactDecimal:
    return ExactDecimal(14, 2)


class ContractView(Base):
    """Contracts as the contracts service announced them (ContractCreated, ContractTerminated,
    ContractWithdrawn; the moves are in supply_address_changes)."""

    __tablename__ = "contract_view"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    contract_number: Mapped[str | None] = mapped_column(String(9))
    commodity: Mapped[str] = mapped_column(String(20))
    product_code: Mapped[str] = mapped_column(String(50))  # at the start; later ones in contract_products
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # last day of supply, once terminated
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    ean: Mapped[str | None] = mapped_column(String(18))
    # The supply address as invoices and the proof of address print it (personal data).
    supply_street: Mapped[str | None] = mapped_column(String(100))
    supply_house_number: Mapped[int | None] = mapped_column(Integer)
    supply_house_number_addition: Mapped[str | None] = mapped_column(String(10))
    supply_postcode: Mapped[str | None] = mapped_column(String(6))
    supply_city: Mapped[str | None] = mapped_column(String(80))
    # {"electricity_normal": "2100", ...}: kWh / m3 / GJ a year, as strings (exact decimals).
    expected_annual_consumption: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class SupplyAddressChange(Base):
    """A contract's supply address from ``effective_from`` on (ContractMoved: the move-in day).
    Before its first change a contract is supplied at contract_view's address (ContractCreated);
    an invoice prints the address in force on the last day of its period, so an invoice issued
    before a move keeps the old address however late it is downloaded."""

    __tablename__ = "supply_address_changes"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    street: Mapped[str | None] = mapped_column(String(100))
    house_number: Mapped[int | None] = mapped_column(Integer)
    house_number_addition: Mapped[str | None] = mapped_column(String(10))
    postcode: Mapped[str] = mapped_column(String(6))
    city: Mapped[str | None] = mapped_column(String(80))


class ContractProduct(Base):
    """A contract's product and options from ``effective_from`` on (ContractCreated gives the
    first row, each ContractAmended another). The row in force on a day is the latest one
    whose effective_from is on or before it."""

    __tablename__ = "contract_products"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    product_code: Mapped[str] = mapped_column(String(50))
    e_invoice: Mapped[bool] = mapped_column(Boolean, default=False)
    self_reading: Mapped[bool] = mapped_column(Boolean, default=False)


class CustomerView(Base):
    """Customers as contracts announced them (CustomerRegistered, CustomerDetailsChanged).

    The name and IBAN stay sealed at rest; they are unsealed only to print an invoice or write
    a direct-debit file, and never logged."""

    __tablename__ = "customer_view"

    customer_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    language: Mapped[str] = mapped_column(String(2), default="nl")
    sealed_name: Mapped[str | None] = mapped_column(String(1000))
    billing_street: Mapped[str | None] = mapped_column(String(100))
    billing_house_number: Mapped[int | None] = mapped_column(Integer)
    billing_house_number_addition: Mapped[str | None] = mapped_column(String(10))
    billing_postcode: Mapped[str | None] = mapped_column(String(6))
    billing_city: Mapped[str | None] = mapped_column(String(80))
    payment_method: Mapped[str] = mapped_column(String(20), default="transfer")
    sealed_iban: Mapped[str | None] = mapped_column(String(1000))
    # The SEPA mandate: its reference and the day it was given (the day direct debit was chosen).
    mandate_reference: Mapped[str | None] = mapped_column(String(35))
    mandate_signed_on: Mapped[date | None] = mapped_column(Date)
    # occurred_at of the last details event applied: an older one arriving late is ignored.
    details_as_of: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ProductView(Base):
    """A product's name and kind (TariffsPublished); its prices are in tariff_periods."""

    __tablename__ = "product_view"

    product_code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())  # the event's occurred_at


class TariffPeriodRow(Base):
    """One commodity's prices of a product over [valid_from, valid_to), excluding VAT.

    TariffsPublished carries every period of a product: they replace the stored ones."""

    __tablename__ = "tariff_periods"

    product_code: Mapped[str] = mapped_column(String(50), primary_key=True)
    commodity: Mapped[str] = mapped_column(String(20), primary_key=True)
    valid_from: Mapped[date] = mapped_column(Date, primary_key=True)
    valid_to: Mapped[date | None] = mapped_column(Date)
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(5, 4))
    # {"electricity_normal": "0.254000", ...}: euro per kWh / m3 / GJ as exact decimal strings.
    unit_prices: Mapped[dict[str, str]] = mapped_column(JSON)
    fixed_costs_per_day: Mapped[Decimal] = mapped_column(ExactDecimal(14, 6))
    feed_in_compensation_per_kwh: Mapped[Decimal | None] = mapped_column(ExactDecimal(14, 6))
    feed_in_costs_per_kwh: Mapped[Decimal | None] = mapped_column(ExactDecimal(14, 6))


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
    # The counter's wrap-around value (10^digits) when the customer declared a rollover.
    rollover_capacity: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 6))
    final: Mapped[bool] = mapped_column(Boolean, default=False)


class BillingAccount(Base):
    """How a contract is billed. A change of mode waits in ``next_mode`` until the period that
    starts on ``next_mode_from``."""

    __tablename__ = "billing_accounts"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    mode: Mapped[str] = mapped_column(String(20))  # monthly_advance | quarterly | on_reading
    next_mode: Mapped[str | None] = mapped_column(String(20))
    next_mode_from: Mapped[date | None] = mapped_column(Date)
    # The last day billed by a settlement (annual, quarterly, on reading): the next one starts
    # the day after. Null until the first settlement (it then starts on the contract's start).
    settled_through: Mapped[date | None] = mapped_column(Date)
    # A final settlement waiting for the final reading: issued with an estimate on this day if
    # the reading has not come by then. Null when none is waiting.
    final_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    # The final termination fee, kept so a corrected final settlement shows it again.
    final_fee_excl_vat: Mapped[Decimal | None] = mapped_column(_money())
    final_fee_vat_rate: Mapped[Decimal | None] = mapped_column(ExactDecimal(5, 4))


class AdvancePlanRow(Base):
    """A contract's monthly advance (incl. VAT) from ``effective_from`` on; the latest row
    whose effective_from is on or before a period's first day prices that period."""

    __tablename__ = "advance_plans"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    effective_from: Mapped[date] = mapped_column(Date, primary_key=True)
    amount: Mapped[Decimal] = mapped_column(_money())
    set_by: Mapped[str] = mapped_column(String(20))  # billing (recommended) | customer | operations
    set_at: Mapped[datetime] = mapped_column(UtcDateTime())


class InvoiceSequence(Base):
    """The last invoice number handed out per series and year (see domain/numbering.py)."""

    __tablename__ = "invoice_sequences"

    series: Mapped[str] = mapped_column(String(4), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class InvoiceRow(Base):
    """An issued invoice. Amounts are stored as issued, never recomputed; only ``status`` and
    ``open_amount`` move as payments come and go.

    One advance invoice per contract and period start (the unique index): an advance run that
    runs twice, or two at once, cannot bill a month twice. (Settlements can be corrected by a
    credit note and issued again, so they are kept single by the billing account instead.)"""

    __tablename__ = "invoices"
    __table_args__ = (
        Index("ix_invoices_customer_issued", "customer_number", "issued_at"),
        Index("ix_invoices_customer_open", "customer_number", "status"),
        Index(
            "ux_invoices_advance_period",
            "contract_id",
            "kind",
            "period_start",
            unique=True,
            postgresql_where=text("kind = 'advance'"),
            sqlite_where=text("kind = 'advance'"),
        ),
    )

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
    # What is still to be paid (negative: still to be paid out or set off, for a credit note).
    open_amount: Mapped[Decimal] = mapped_column(_money())
    credits_invoice_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"))
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    e_invoice: Mapped[bool] = mapped_column(Boolean, default=False)  # PDF is Factur-X

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


class SettlementIndexRow(Base):
    """The closing index of each register a settlement used (read, interpolated or estimated):
    the next settlement opens on it, so no energy is billed twice or left out even where the
    index was estimated. Those of a credited settlement no longer count."""

    __tablename__ = "settlement_indexes"
    __table_args__ = (Index("ix_settlement_indexes_contract_day", "contract_id", "day"),)

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    meter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    register_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)  # the settlement's last day
    value: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    kind: Mapped[str] = mapped_column(String(12))  # read | interpolated | estimated | settled
    estimated: Mapped[bool] = mapped_column(Boolean, default=False)


class PaymentRow(Base):
    """Money received for a customer. ``(channel, reference)`` is unique: the provider's payment
    id, the bank's reference, the cheque number or the debit's end-to-end id, so the same
    payment announced twice (a repeated webhook) is booked once."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("channel", "reference", name="uq_payments_channel_reference"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # card | direct_debit | transfer | energy_cheque
    reference: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(_money())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Not yet set against an invoice: the customer's credit.
    unallocated: Mapped[Decimal] = mapped_column(_money())
    status: Mapped[str] = mapped_column(String(10), default="booked")  # booked | returned


class AllocationRow(Base):
    """Part of a payment (or of a credit note's credit) settling part of an invoice."""

    __tablename__ = "payment_allocations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"), index=True)
    credit_note_id: Mapped[str | None] = mapped_column(ForeignKey("invoices.id"))
    amount: Mapped[Decimal] = mapped_column(_money())
    allocated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CardCheckoutRow(Base):
    """A hosted-payment-page session at the payment provider for one invoice."""

    __tablename__ = "card_checkouts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"))
    amount: Mapped[Decimal] = mapped_column(_money())
    provider_reference: Mapped[str] = mapped_column(String(100), unique=True)
    status: Mapped[str] = mapped_column(String(10))  # pending | paid | failed | expired
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class DirectDebitCollection(Base):
    """One SEPA pain.008 file: the due invoices with a mandate, collected on one day."""

    __tablename__ = "direct_debit_collections"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(35), unique=True)
    collection_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    file_name: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)  # the pain.008 XML as written
    total: Mapped[Decimal] = mapped_column(_money())
    count: Mapped[int] = mapped_column(Integer)


class DirectDebitItem(Base):
    """One invoice in a collection; ``end_to_end_id`` comes back with a returned debit."""

    __tablename__ = "direct_debit_items"

    end_to_end_id: Mapped[str] = mapped_column(String(35), primary_key=True)
    collection_id: Mapped[str] = mapped_column(ForeignKey("direct_debit_collections.id"), index=True)
    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), index=True)
    customer_number: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(_money())
    payment_id: Mapped[str | None] = mapped_column(ForeignKey("payments.id"))
    status: Mapped[str] = mapped_column(String(10))  # collected | returned
    # The mandate debited and whether this was its first debit (FRST) or a later one (RCUR).
    mandate_reference: Mapped[str] = mapped_column(String(35), index=True)
    sequence_type: Mapped[str] = mapped_column(String(4))
    # Once the bank returned it: the ISO 20022 reason (AM04, MD06, ...) and the day.
    reason_code: Mapped[str | None] = mapped_column(String(4))
    returned_on: Mapped[date | None] = mapped_column(Date)


class DunningStepRow(Base):
    """A reminder step sent for an overdue invoice: at most one row per invoice and step."""

    __tablename__ = "dunning_steps"

    invoice_id: Mapped[str] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    step: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_on: Mapped[date] = mapped_column(Date)


# Issued invoices are final: the ORM refuses to change or delete them. Only the payment status
# and the open amount may move. (Bulk statements bypass these hooks: only payment allocation
# updates status/open_amount in bulk, and only the retention purge deletes.)
_MUTABLE_INVOICE_COLUMNS = frozenset({"status", "open_amount"})


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
