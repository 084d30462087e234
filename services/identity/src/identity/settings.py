"""Identity's configuration: the chassis settings plus token lifetimes, lockout, activation and
throttling."""

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
    # A rotated signing key is published in the JWKS this long before it signs, so every
    # service has fetched it (they refetch for an unknown key id at most every 30 s).
    signing_key_publish_seconds: int = Field(60, ge=0, le=3600)
    token_issuer: str = "identity"  # noqa: S105 - a claim value, not a secret
    token_audience: str = "portal"  # noqa: S105 - a claim value, not a secret

    # Refresh tokens: a plain log-in lasts a working day; "stay signed in" a month.
    refresh_token_hours: int = Field(12, ge=1, le=48)
    stay_signed_in_days: int = Field(30, ge=1, le=90)

    # The third failed log-in in a row locks the account for three hours.
    max_failed_logins: int = Field(3, ge=1, le=20)
    lockout_hours: int = Field(3, ge=1, le=48)

    # Password spraying: the 21st failed log-in or registration proof from one client within
    # 15 minutes (over any accounts) is answered 429 until the oldest failures age out.
    max_client_failures: int = Field(20, ge=3, le=1000)
    client_failure_window_minutes: int = Field(15, ge=1, le=1440)

    # Reset emails per account in any rolling hour; requests above it are answered, not sent.
    max_reset_requests_per_hour: int = Field(3, ge=1, le=20)
    # The reset mail's 6-digit code lives 15 minutes (the link: reset_token_hours); the 5th
    # wrong code kills the code (the link keeps working).
    reset_code_minutes: int = Field(15, ge=5, le=60)
    max_wrong_reset_codes: int = Field(5, ge=1, le=20)

    # Activating a new account: the link and the code live a day; a new mail at most every
    # 15 minutes per account; the 5th wrong code ends the pending activation.
    activation_hours: int = Field(24, ge=1, le=72)
    activation_resend_minutes: int = Field(15, ge=1, le=120)
    max_wrong_activation_codes: int = Field(5, ge=1, le=20)

    # An imported legacy account that logs in with its old password gets a migration token to
    # choose a new password with; it works once, for this long.
    legacy_migration_minutes: int = Field(15, ge=5, le=60)

    @property
    def client_failure_window(self) -> timedelta:
        return timedelta(minutes=self.client_failure_window_minutes)

    # Changing the login address: the link and the code to the new address live a day; the 5th
    # wrong code ends the request.
    email_change_hours: int = Field(24, ge=1, le=72)
    max_wrong_email_change_codes: int = Field(5, ge=1, le=20)

    # An approved portal access request: the set-password link in the mail lives a week.
    invitation_days: int = Field(7, ge=1, le=30)

    # Portal access ends this many days after the last day of supply of the customer's last
    # contract: time to receive, read and pay the final settlement (issued up to 10 days after
    # the end, due 14 days later, reminders up to 28 days after that).
    access_grace_days: int = Field(90, ge=0, le=730)

    # Notifications' public key (EC P-256 JWK JSON): the links' tokens and codes travel in the
    # events encrypted with it, so only notifications can open them. Required by create_app.
    mail_secrets_public_key: str | None = None

    @property
    def email_change_ttl(self) -> timedelta:
        return timedelta(hours=self.email_change_hours)

    @property
    def invitation_ttl(self) -> timedelta:
        return timedelta(days=self.invitation_days)

    @property
    def legacy_migration_ttl(self) -> timedelta:
        return timedelta(minutes=self.legacy_migration_minutes)

    @property
    def activation_ttl(self) -> timedelta:
        return timedelta(hours=self.activation_hours)

    @property
    def activation_resend_interval(self) -> timedelta:
        return timedelta(minutes=self.activation_resend_minutes)

    @property
    def reset_code_ttl(self) -> timedelta:
        return timedelta(minutes=self.reset_code_minutes)

    @property
    def reset_token_ttl(self) -> timedelta:
        return timedelta(hours=self.reset_token_hours)

    @property
    def access_token_ttl(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)

    @property
    def signing_key_publish_delay(self) -> timedelta:
        return timedelta(seconds=self.signing_key_publish_seconds)

    def refresh_token_ttl(self, *, stay_signed_in: bool) -> timedelta:
        if stay_signed_in:
            return timedelta(days=self.stay_signed_in_days)
        return timedelta(hours=self.refresh_token_hours)

    @property
    def lockout_duration(self) -> timedelta:
        return timedelta(hours=self.lockout_hours)
