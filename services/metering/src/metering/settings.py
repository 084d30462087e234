"""Metering's configuration: the chassis settings plus the rules for accepting readings."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from portal_chassis.settings import ServiceSettings


class MeteringSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="METERING_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "metering"

    # A customer's phone clock may run a little ahead of ours; a reading that far "in the
    # future" is still the reading they just took, not one for tomorrow.
    reading_clock_skew_seconds: int = Field(300, ge=0, le=3600)

    # Plausibility: the consumption since the previous reading, per day, against the expected
    # daily consumption (the meter's own history, else the contract's expected annual volume).
    # Outside [low, high] x expected the customer is asked to confirm the value.
    plausibility_low_factor: float = Field(0.2, ge=0, le=1)
    plausibility_high_factor: float = Field(3.0, ge=1)
    plausibility_min_days: int = Field(7, ge=1)  # shorter spans say too little to judge

    # Self-reading contracts are reminded every `reminder_interval_months` from their start,
    # unless the customer read the meter in the last `reminder_recent_reading_days`.
    reminder_interval_months: int = Field(6, ge=1, le=12)
    reminder_recent_reading_days: int = Field(30, ge=0)

    # Smart-meter consent: the version of the terms in force (raising it asks every customer
    # again), how many working days the first data may take, how far back it is asked for,
    # and which commodities need it (heat networks are read by the supplier itself).
    smart_meter_terms_version: int = Field(1, ge=1)
    smart_meter_data_working_days: int = Field(5, ge=1)
    smart_meter_backfill_days: int = Field(400, ge=1)
    consent_required_for: frozenset[str] = frozenset({"electricity", "gas"})

    # The feed consumer takes up to this many Kafka records per poll, and stores each
    # partition's share in one transaction, this many at once (one is parsed while another is
    # written; the topic has 6 partitions: one transaction per partition share of a poll).
    feed_batch_records: int = Field(500, ge=1, le=10000)
    feed_batch_timeout_ms: int = Field(200, ge=1)
    feed_parallel_batches: int = Field(6, ge=1, le=6)

    @property
    def reading_clock_skew(self) -> timedelta:
        return timedelta(seconds=self.reading_clock_skew_seconds)
