"""Metering's tables: the contract read model, meters with their registers, readings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portal_chassis.columns import ExactDecimal, UtcDateTime

CONTRACT_ACTIVE = "active"
CONTRACT_ENDED = "ended"


class Base(DeclarativeBase):
    pass


class ContractView(Base):
    """Contracts as metering needs them, kept from the contracts service's events."""

    __tablename__ = "contract_view"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    commodity: Mapped[str] = mapped_column(String(20))
    product_code: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # CONTRACT_ACTIVE or CONTRACT_ENDED
    end_date: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(30))
    # False once the contract ends: no more reading reminders for it.
    readings_expected: Mapped[bool]
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EarlyTermination(Base):
    """A ContractTerminated that arrived before its ContractCreated (see consumers.py)."""

    __tablename__ = "early_terminations"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Meter(Base):
    __tablename__ = "meters"

    meter_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contract_view.contract_id"), index=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    commodity: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MeterRegister(Base):
    __tablename__ = "meter_registers"

    meter_id: Mapped[str] = mapped_column(ForeignKey("meters.meter_id"), primary_key=True)
    register_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    unit: Mapped[str] = mapped_column(String(5))


class Reading(Base):
    """One accepted index of one register; never changed afterwards."""

    __tablename__ = "readings"
    __table_args__ = (
        # One index per register and instant; also what the history is read by.
        UniqueConstraint("meter_id", "register_type", "read_at", name="uq_readings_register_time"),
        Index("ix_readings_customer_read_at", "customer_number", "read_at"),
    )

    reading_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    meter_id: Mapped[str] = mapped_column(ForeignKey("meters.meter_id"))
    register_type: Mapped[str] = mapped_column(String(30))
    contract_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_number: Mapped[str] = mapped_column(String(20))
    value: Mapped[Decimal] = mapped_column(ExactDecimal(18, 3))
    unit: Mapped[str] = mapped_column(String(5))
    read_at: Mapped[datetime] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(20))
    quality: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
