"""Notifications' configuration: the chassis settings plus the SMTP relay and retry policy."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import ClassVar

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from notifications.domain.retry import RetryPolicy
from notifications.domain.unsubscribe import derive_key
from portal_chassis.settings import ServiceSettings

SEND_LEASE_MARGIN = timedelta(seconds=10)


class NotificationsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFICATIONS_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "notifications"

    # Required here (optional in the chassis): delivery bodies are stored sealed with it, and
    # reset tokens in events written before the mail secrets key below open with it.
    event_sealing_key: SecretStr = Field(validation_alias="EVENT_SEALING_KEY")
    # Opens the links' tokens and codes in identity's events (EC P-256 JWK JSON); identity holds
    # only its public half, so no other reader of the topics can (portal_chassis.mail_secrets).
    mail_secrets_private_key: SecretStr

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

    # An email about a customer without a portal account waits (parked) until one is activated;
    # after this many days it is recorded as skipped instead: by then the portal shows what it
    # was about, and a weeks-old confirmation or reminder would mislead more than inform.
    parking_window_days: int = Field(60, ge=1)

    # Where the internet reaches the API gateway, for the one-click unsubscribe links
    # (List-Unsubscribe). Suite-wide, hence no prefix; unset: PORTAL_PUBLIC_URL, which local
    # runs serve from the same address.
    public_api_url: str | None = Field(None, validation_alias="PORTAL_API_PUBLIC_URL")
    # Signs the unsubscribe links; changing it ends the links in every newsletter sent before.
    # Unset: derived from the mail secrets private key (which only notifications holds), so
    # replacing that key ends them too.
    unsubscribe_secret: SecretStr | None = Field(None, min_length=32)

    @property
    def api_url(self) -> str:
        return (self.public_api_url or self.public_url).rstrip("/")

    @property
    def unsubscribe_key(self) -> bytes:
        if self.unsubscribe_secret is not None:
            return derive_key(self.unsubscribe_secret.get_secret_value())
        return derive_key(_private_number(self.mail_secrets_private_key.get_secret_value()))

    @property
    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(
            first_delay=timedelta(seconds=self.retry_first_delay_seconds),
            max_delay=timedelta(seconds=self.retry_max_delay_seconds),
            max_attempts=self.retry_max_attempts,
        )

    @property
    def parking_window(self) -> timedelta:
        return timedelta(days=self.parking_window_days)

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


def _private_number(jwk_json: str) -> str:
    """The private key's own value (``d``), so the same key written with other spacing or
    member order gives the same unsubscribe links; the whole text if it is not a JWK."""
    try:
        jwk = json.loads(jwk_json)
    except ValueError:
        return jwk_json
    d = jwk.get("d") if isinstance(jwk, dict) else None
    return d if isinstance(d, str) and d else jwk_json
