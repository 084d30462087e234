"""Configuration from the environment, one validated object per service.

Each service subclasses :class:`ServiceSettings` with ``env_prefix`` set to its own name, so
``IDENTITY_DATABASE_URL`` configures identity only; the suite-wide values (Kafka, SMTP, public
URL, ...) have fixed names shared by all services.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", validate_by_name=True)

    service_name: ClassVar[str]

    database_url: str = ""
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS")
    data_dir: Path = Field(Path(".run/data"), validation_alias="PORTAL_DATA_DIR")
    public_url: str = Field("http://127.0.0.1:8080", validation_alias="PORTAL_PUBLIC_URL")
    timezone: str = Field("Europe/Amsterdam", validation_alias="PORTAL_TIMEZONE")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    traces_exporter: Literal["none", "console"] = Field("none", validation_alias="OTEL_TRACES_EXPORTER")
    event_sealing_key: SecretStr | None = Field(None, validation_alias="EVENT_SEALING_KEY")
    jwks_url: str = Field("http://127.0.0.1:8101/.well-known/jwks.json", validation_alias="IDENTITY_JWKS_URL")
    # How long verified public keys are trusted before a refetch: a retired signing key stops
    # being accepted within this time (an unknown key id is fetched sooner, see auth.JwksCache).
    jwks_cache_seconds: float = Field(300.0, gt=0, validation_alias="JWKS_CACHE_SECONDS")
    consumer_max_attempts: int = Field(5, ge=1, validation_alias="CONSUMER_MAX_ATTEMPTS")
    outbox_poll_seconds: float = Field(1.0, gt=0, validation_alias="OUTBOX_POLL_SECONDS")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone: fail at start, not at the first request
        return value

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            path = (self.data_dir / f"{self.service_name}.sqlite3").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
