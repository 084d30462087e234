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
    MetaData,
    String,
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
    )

    customer_number: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))  # personal data: never logged
    language: Mapped[str] = mapped_column(String(2))
    segment: Mapped[str] = mapped_column(String(10))
    # Canonical Dutch postcode (domain/postcode.py); null while none is known.
    billing_postcode: Mapped[str | None] = mapped_column(String(6))
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
        CheckConstraint("status IN ('active', 'terminating', 'ended')", name="status"),
        CheckConstraint("termination_fee >= 0", name="fee_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_number: Mapped[str] = mapped_column(String(9), unique=True)
    customer_number: Mapped[str] = mapped_column(ForeignKey("customers.customer_number"), index=True)
    supply_postcode: Mapped[str] = mapped_column(String(6))
    commodity: Mapped[str] = mapped_column(String(20))
    product_code: Mapped[str] = mapped_column(String(50))
    start_date: Mapped[date] = mapped_column(Date)
    fixed_term_end: Mapped[date | None] = mapped_column(Date)
    concluded_on: Mapped[date] = mapped_column(Date)  # the withdrawal period runs from here
    status: Mapped[str] = mapped_column(String(20))
    end_date: Mapped[date | None] = mapped_column(Date)
    termination_reason: Mapped[str | None] = mapped_column(String(30))
    termination_fee: Mapped[Decimal | None] = mapped_column(ExactDecimal(12, 2))  # incl. VAT
    termination_fee_basis: Mapped[str | None] = mapped_column(String(40))
    termination_fee_final: Mapped[bool | None] = mapped_column(Boolean)
    terminated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
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
