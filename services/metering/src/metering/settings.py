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

    @property
    def reading_clock_skew(self) -> timedelta:
        return timedelta(seconds=self.reading_clock_skew_seconds)
