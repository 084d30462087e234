"""Notifications' configuration: the chassis settings plus the SMTP relay and retry policy."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from notifications.domain.retry import RetryPolicy
from portal_chassis.settings import ServiceSettings

SEND_LEASE_MARGIN = timedelta(seconds=10)


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "notifications"

    # Required here (optional in the chassis): reset tokens arrive sealed and must be opened,
    # and delivery bodies are stored sealed with the same key.
    event_sealing_key: SecretStr = Field(validation_alias="EVENT_SEALING_KEY")

    # The SMTP relay is suite-wide configuration (the mail catcher locally), hence no prefix.
    smtp_host: str = Field("127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: int = Field(1025, ge=1, le=65535, validation_alias="SMTP_PORT")
    smtp_from: str = "Energy portal <no-reply@portal.invalid>"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = Field(30.0, gt=0)

    send_poll_seconds: float = Field(1.0, gt=0)
    send_batch_size: int = Field(50, ge=1, le=1000)
    retry_first_delay_seconds: float = Field(10.0, gt=0)
    retry_max_delay_seconds: float = Field(1800.0, gt=0)
    retry_max_attempts: int = Field(10, ge=1)
    # While the relay is unreachable the whole sender pauses, doubling from the poll interval
    # up to this; no delivery's attempts are counted meanwhile.
    relay_backoff_max_seconds: float = Field(60.0, gt=0)

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            first_delay=timedelta(seconds=self.retry_first_delay_seconds),
            max_delay=timedelta(seconds=self.retry_max_delay_seconds),
            max_attempts=self.retry_max_attempts,
        )

    @property
    def send_lease(self) -> timedelta:
        """How long a claimed delivery stays invisible to other senders: one SMTP exchange
        with margin. A sender that dies mid-send frees it again after this."""
        return timedelta(seconds=self.smtp_timeout_seconds * 2 + 30)

    @property
    def send_time_limit(self) -> timedelta:
        """How long one send (connecting included) may take in all: the lease less a margin for
        recording the outcome, so a sender never sends on a claim that has expired."""
        return self.send_lease - SEND_LEASE_MARGIN
