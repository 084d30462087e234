"""Contracts' tables: customers, their supply contracts and each contract's history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from portal_chassis.columns import ExactDecimal, UtcDateTime

# Named constraints, so later migrations can drop or alter them on every database.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        CheckConstraint("language IN ('nl', 'en', 'fr', 'de')", name="language"),
        CheckConstraint("segment IN ('private', 'business')", name="segment"),
        CheckConstraint("payment_method IN ('direct_debit', 'transfer')", name="payment_method"),
        CheckConstraint("payment_method <> 'direct_debit' OR iban IS NOT NULL", name="debit_needs_iban"),
    )

    customer_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # personal data: never logged
    language: Mapped[str] = mapped_column(String(2))
    segment: Mapped[str] = mapped_column(String(10))
    # Canonical Dutch postcode (domain/postcode.py); null while none is known.
    billing_postcode: Mapped[str | None] = mapped_column(String(6))
    # The rest of the billing address (domain/address.py); all null while none is known.
    billing_street: Mapped[str | None] = mapped_column(String(100))
    billing_house_number: Mapped[int | None] = mapped_column(Integer)
    billing_house_number_addition: Mapped[str | None] = mapped_column(String(10))
    billing_city: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str | None] = mapped_column(String(20))  # personal data: never logged
    iban: Mapped[str | None] = mapped_column(String(34))  # compact, checked; never logged
    payment_method: Mapped[str] = mapped_column(String(20), default="transfer")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Contract(Base):
    """One supply contract for one commodity at one connection.

    ``fixed_term_end`` is the last day of the fixed term, or null for an indefinite
    contract with variable prices; ``end_date`` is the last day of supply once a
    termination is recorded. ``version`` guards against two terminations racing.
    ``contract_number`` is the customer-facing number (domain/numbering.py);
    ``supply_postcode`` is the canonical postcode of the connection supplied.
    """

    __tablename__ = "contracts"
    __table_args__ = (
        CheckConstraint("commodity IN ('electricity', 'gas', 'heat')", name="commodity"),
        CheckConstraint(
            "status IN ('requested', 'refused', 'confirmed', 'active', 'terminating', 'ended', 'withdrawn')",
            name="status",
        ),
        CheckConstraint("termination_fee >= 0", name="fee_not_negative"),
        CheckConstraint("meter_location IN ('indoors', 'outdoors', 'unknown')", name="meter_location"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_number: Mapped[str] = mapped_column(String(9), unique=True)
    customer_number: Mapped[str] = mapped_column(ForeignKey("customers.customer_number"), index=True)
    supply_postcode: Mapped[str] = mapped_column(String(6))
    # The rest of the supply address and the connection; null where operations created the
    # contract with a postcode only.
    supply_street: Mapped[str | None] = mapped_column(String(100))
    supply_house_number: Mapped[int | None] = mapped_column(Integer)
    supply_house_number_addition: Mapped[str | None] = mapped_column(String(10))
    supply_city: Mapped[str | None] = mapped_column(String(80))
    ean: Mapped[str | None] = mapped_column(String(18))  # domain/connection.py
    # Where the meter hangs: self-reading is offered only for a meter indoors.
    meter_location: Mapped[str] = mapped_column(String(10), default="unknown", server_default="unknown")
    capacity: Mapped[str | None] = mapped_column(String(20))  # "3x25A", "6 m3(n)/h"
    commodity: Mapped[str] = mapped_column(String(20))
    product_code: Mapped[str] = mapped_column(String(50))
    start_date: Mapped[date] = mapped_column(Date)
    fixed_term_end: Mapped[date | None] = mapped_column(Date)
    # The withdrawal period runs from here; a portal request holds its request day until it is
    # confirmed (the confirmation day then replaces it).
    concluded_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    end_date: Mapped[date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(String(30))
    termination_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 2))  # incl. VAT
    termination_fee_basis: Mapped[str | None] = mapped_column(String(40))
    termination_fee_final: Mapped[bool | None] = mapped_column(Boolean)
    terminated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    termination_fee_excl_vat: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 2))
    # Operations lowered or waived the fee to this amount (excl. VAT); the final fee is at most this.
    fee_adjusted_excl_vat: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 2))
    # Length of the current fixed term in months (the "same type" for the fee's price comparison).
    term_months: Mapped[int | None] = mapped_column(Integer)
    # Effective date of an announced unilateral change: ending before it is free of charge.
    free_termination_before: Mapped[date | None] = mapped_column(Date)
    # The fixed_term_end a renewal proposal was sent for (one proposal per term).
    renewal_proposed_for: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer)

    # Never loaded (lazy="raise"); declared so a new customer is inserted before its contract.
    customer: Mapped[Customer] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}


class ContractNumberCounter(Base):
    """The last contract number handed out (one row, locked while a contract is created)."""

    __tablename__ = "contract_number_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)  # at most 999999999: fits


class ContractEvent(Base):
    """What happened to a contract, oldest first: created, termination recorded, ..."""

    __tablename__ = "contract_events"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)

    contract: Mapped[Contract] = relationship(lazy="raise")  # orders inserts; never loaded


class ContractRequest(Base):
    """A customer's request for a new contract through the portal and the contract it led to.

    The status is the contract's (``requested`` until it is confirmed or ``refused``, then the
    contract's own status); the history is the contract's ContractEvent rows.
    """

    __tablename__ = "contract_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_number: Mapped[str] = mapped_column(ForeignKey("customers.customer_number"), index=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), unique=True)
    requested_on: Mapped[date] = mapped_column(Date)
    desired_start_date: Mapped[date | None] = mapped_column(Date)
    current_contract_end: Mapped[date | None] = mapped_column(Date)
    refusal_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    contract: Mapped[Contract] = relationship(lazy="raise")  # orders inserts; never loaded


class Move(Base):
    """A move the customer reported: contracts taken along, or ended at the move-out date."""

    __tablename__ = "moves"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_number: Mapped[str] = mapped_column(ForeignKey("customers.customer_number"), index=True)
    move_out_date: Mapped[date] = mapped_column(Date)
    move_in_date: Mapped[date | None] = mapped_column(Date)
    new_postcode: Mapped[str | None] = mapped_column(String(6))  # null: contracts ended
    contract_ids: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CoHolder(Base):
    """A second holder of a contract (spouse, partner), added by operations."""

    __tablename__ = "co_holders"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))  # personal data: never logged
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    added_by: Mapped[str] = mapped_column(String(100))  # the operator
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)

    contract: Mapped[Contract] = relationship(lazy="raise")  # orders inserts; never loaded


class Product(Base):
    """A product of the catalogue (catalogue/default.toml; domain/catalogue.py). A product no
    longer ``on_sale`` keeps its tariffs for the contracts that have it."""

    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("kind IN ('fixed', 'variable')", name="kind"),
        CheckConstraint("(kind = 'fixed') = (term_months IS NOT NULL)", name="term_only_when_fixed"),
    )

    code: Mapped[str] = mapped_column(String(50), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(10))
    term_months: Mapped[int | None] = mapped_column(Integer)
    commodities: Mapped[list[str]] = mapped_column(JSON)
    gas_sources: Mapped[list[str]] = mapped_column(JSON)  # empty unless the product supplies gas
    on_sale: Mapped[bool] = mapped_column(Boolean)


class TariffPeriod(Base):
    """One commodity's prices of a product over [valid_from, valid_to) (null: open-ended),
    excluding VAT. Periods of one product and commodity never overlap."""

    __tablename__ = "tariff_periods"
    __table_args__ = (UniqueConstraint("product_code", "commodity", "valid_from"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    product_code: Mapped[str] = mapped_column(ForeignKey("products.code"), index=True)
    commodity: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(5, 4))
    fixed_costs_per_day: Mapped[Decimal] = mapped_column(ExactDecimal(12, 6))
    feed_in_compensation_per_kwh: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 6))
    feed_in_costs_per_kwh: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 6))

    product: Mapped[Product] = relationship(lazy="raise")  # orders inserts; never loaded


class TariffPrice(Base):
    """The unit price of one register in one tariff period, euro per kWh, m3 or GJ excl. VAT."""

    __tablename__ = "tariff_prices"

    period_id: Mapped[int] = mapped_column(
        ForeignKey("tariff_periods.id", ondelete="CASCADE"), primary_key=True
    )
    register: Mapped[str] = mapped_column(String(30), primary_key=True)
    unit_price: Mapped[Decimal] = mapped_column(ExactDecimal(12, 6))


class ExpectedConsumption(Base):
    """Expected annual consumption of a contract per register (kWh, m3 or GJ)."""

    __tablename__ = "expected_consumption"

    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    register: Mapped[str] = mapped_column(String(30), primary_key=True)
    annual_volume: Mapped[Decimal] = mapped_column(ExactDecimal(14, 3))

    contract: Mapped[Contract] = relationship(lazy="raise")  # orders inserts; never loaded


class ContractTerms(Base):
    """A contract's product and options from ``effective_from`` on (a tariff switch or an
    option change). The terms in force on a day are the latest row effective on or before
    it; a contract without rows has its own product_code and no options."""

    __tablename__ = "contract_terms"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    effective_from: Mapped[date] = mapped_column(Date)
    product_code: Mapped[str] = mapped_column(String(50))
    green_electricity: Mapped[bool] = mapped_column(Boolean)
    e_invoice: Mapped[bool] = mapped_column(Boolean)
    self_reading: Mapped[bool] = mapped_column(Boolean)
    gas_source: Mapped[str | None] = mapped_column(String(20))
    # The price guarantee's last day under these terms (a switch to a fixed product starts a
    # new one); null: variable prices.
    fixed_term_end: Mapped[date | None] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    contract: Mapped[Contract] = relationship(lazy="raise")  # orders inserts; never loaded


class UnilateralChange(Base):
    """A unilateral change operations announced. ``change_key`` identifies it (kind, effective
    date and which contracts: use_cases/unilateral_changes.py), so a repeated announcement
    finds this one instead of notifying the customers again."""

    __tablename__ = "unilateral_changes"

    change_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    change_key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    effective_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(String(2000))
    commodity: Mapped[str | None] = mapped_column(String(20))
    product_codes: Mapped[list[str]] = mapped_column(JSON)
    contracts_notified: Mapped[int] = mapped_column(Integer)
    announced_by: Mapped[str] = mapped_column(String(100))  # the operator
    announced_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ContractAccess(Base):
    """Portal accounts that may see a contract besides its own customer's (identity's
    ContractLinked: a co-holder, or a contract added by letter code)."""

    __tablename__ = "contract_access"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(36), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(20))  # holder | co_holder
    linked_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Document(Base):
    """A PDF in the customer's mailbox (domain/documents.py): written once, never changed; a
    newer version (a tariff sheet after a switch) is a new row. ``content`` is loaded only
    for a download; ``content_sha256`` and ``size`` describe it without loading it."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint("kind IN ('confirmation', 'tariff_sheet', 'technical_card')", name="kind"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    customer_number: Mapped[str] = mapped_column(ForeignKey("customers.customer_number"), index=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contracts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(100))  # safe for Content-Disposition
    content_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True, deferred_raiseload=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    contract: Mapped[Contract] = relationship(lazy="raise")  # orders inserts; never loaded
