"""Identity's configuration: the chassis settings plus token lifetimes."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from portal_chassis.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="IDENTITY_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "identity"

    reset_token_hours: int = Field(24, ge=1, le=72)
    access_token_minutes: int = Field(15, ge=1, le=60)
    token_issuer: str = "identity"  # noqa: S105 - a claim value, not a secret
    token_audience: str = "portal"  # noqa: S105 - a claim value, not a secret

    @property
    def reset_token_ttl(self) -> timedelta:
        return timedelta(hours=self.reset_token_hours)

    @property
    def access_token_ttl(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)
