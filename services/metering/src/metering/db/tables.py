"""Metering's tables: the contract read model, meters with their registers, readings,
smart-meter consents, interval data by customer day with monthly sums, and the records
that keep the jobs (reminders, final-reading requests) from repeating themselves."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from portal_chassis.columns import ExactDecimal, ExactDecimalArray, UtcDateTime

CONTRACT_ACTIVE = "active"
CONTRACT_ENDED = "ended"

CONSENT_GRANTED = "granted"
CONSENT_REVOKED = "revoked"


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
    # The connection (EAN) the smart-meter feed names; None when contracts did not know it.
    ean: Mapped[str | None] = mapped_column(String(18), index=True)
    # The customer reads the meter themselves (ContractAmended options): reminders are due.
    self_reading: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExpectedConsumption(Base):
    """The contract's expected annual consumption per register (ContractCreated): the basis of
    the plausibility check until the meter's own history says more."""

    __tablename__ = "expected_consumption"

    contract_id: Mapped[str] = mapped_column(ForeignKey("contract_view.contract_id"), primary_key=True)
    register_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    annual_volume: Mapped[Decimal] = mapped_column(ExactDecimal(14, 3))


class EarlyTermination(Base):
    """A ContractTerminated that arrived before its ContractCreated (see consumers.py)."""

    __tablename__ = "early_terminations"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    end_date: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(30))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EarlyAmendment(Base):
    """A ContractAmended that arrived before its ContractCreated (see consumers.py)."""

    __tablename__ = "early_amendments"

    contract_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    self_reading: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Meter(Base):
    """One physical meter of a contract's connection, from installed_on up to (not including)
    removed_on. An exchange ends the old meter and adds a new one: each keeps its own readings,
    so the new meter's first index never has to be above the old meter's last."""

    __tablename__ = "meters"
    __table_args__ = (Index("ix_meters_ean", "ean"),)

    meter_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contract_view.contract_id"), index=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    commodity: Mapped[str] = mapped_column(String(20))
    ean: Mapped[str | None] = mapped_column(String(18))
    serial: Mapped[str | None] = mapped_column(String(40))  # None until the grid operator names it
    smart: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    location: Mapped[str] = mapped_column(String(10), default="unknown", server_default="unknown")
    installed_on: Mapped[date] = mapped_column(Date)
    removed_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MeterRegister(Base):
    __tablename__ = "meter_registers"

    meter_id: Mapped[str] = mapped_column(ForeignKey("meters.meter_id"), primary_key=True)
    register_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    unit: Mapped[str] = mapped_column(String(5))
    # Integer digits of the counter: it rolls over to zero after 10 ** digits - 0.001.
    digits: Mapped[int | None] = mapped_column(SmallInteger)


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
    # Set when the counter wrapped since the previous reading (10 ** digits).
    rollover_capacity: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 3))
    confirmed_unusual: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    final: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReadingReminder(Base):
    """A reminder sent for one due date: the job skips what is here, so it can run twice."""

    __tablename__ = "reading_reminders"

    contract_id: Mapped[str] = mapped_column(ForeignKey("contract_view.contract_id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FinalReadingRequest(Base):
    """A final reading asked for one end date (a corrected end date asks again)."""

    __tablename__ = "final_reading_requests"

    contract_id: Mapped[str] = mapped_column(ForeignKey("contract_view.contract_id"), primary_key=True)
    end_date: Mapped[date] = mapped_column(Date, primary_key=True)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SmartMeterConsent(Base):
    """A contract's consent to read its smart meter remotely: the latest decision counts."""

    __tablename__ = "smart_meter_consents"

    contract_id: Mapped[str] = mapped_column(ForeignKey("contract_view.contract_id"), primary_key=True)
    customer_number: Mapped[str] = mapped_column(String(20), index=True)
    status: Mapped[str] = mapped_column(String(10))  # CONSENT_GRANTED or CONSENT_REVOKED
    terms_version: Mapped[int] = mapped_column(Integer)  # the version the customer agreed to
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    data_expected_by: Mapped[date | None] = mapped_column(Date)
    # The terms version SmartMeterReconsentNeeded was sent for (the job sends it once).
    reconsent_asked_version: Mapped[int | None] = mapped_column(Integer)


class ConsumptionDay(Base):
    """A meter's smart-meter data of one channel and customer day (in the service's time zone):
    the day's interval values in time order, one slot per interval (96 quarter hours, 92 or
    100 on a daylight-saving day; 24, 23 or 25 hours), and their sum and count. A slot without
    a value is a gap, never a zero. One row per day instead of one per interval: a year of
    quarter hours of a meter is 365 rows, not 35,040 (see db/feed_store.py)."""

    __tablename__ = "consumption_days"

    meter_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    # Always the sum and the count of the slots that have a value.
    total: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    intervals: Mapped[int] = mapped_column(Integer)
    interval_minutes: Mapped[int] = mapped_column(SmallInteger)
    # Slot i is the interval starting i * interval_minutes after the day's first instant.
    slot_values: Mapped[list[Decimal | None]] = mapped_column(ExactDecimalArray(14, 6))
    # One character per slot: m measured, e estimated, s substituted, "." no value.
    slot_qualities: Mapped[str] = mapped_column(String(100))


class ConsumptionMonth(Base):
    """The same per calendar month (``month`` is its first day)."""

    __tablename__ = "consumption_months"

    meter_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    channel: Mapped[str] = mapped_column(String(30), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    total: Mapped[Decimal] = mapped_column(ExactDecimal(18, 6))
    intervals: Mapped[int] = mapped_column(Integer)
    interval_minutes: Mapped[int] = mapped_column(SmallInteger)


class DataRequest(Base):
    """Interval data asked from the hub after a consent (SmartMeterDataRequested)."""

    __tablename__ = "data_requests"

    request_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    contract_id: Mapped[str] = mapped_column(ForeignKey("contract_view.contract_id"), index=True)
    ean: Mapped[str] = mapped_column(String(18))
    data_from: Mapped[datetime] = mapped_column(UtcDateTime)
    data_to: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
