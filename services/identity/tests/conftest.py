from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from identity.app import create_app
from identity.db.tables import Base
from identity.settings import IdentitySettings
from identity.use_cases.accounts import create_account
from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose, generate_key_pair
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, service_under_test
from portal_schemas.identity import PasswordResetRequested

PASSWORD = "correct horse battery"

MakeAccount = Callable[..., Awaitable[str]]  # what the make_account fixture returns
ResetTokens = Callable[[], Awaitable[list[str]]]  # what the reset_tokens fixture returns


class MovableClock:
    """The service's clock in tests: starts at the real time (access tokens must verify) and
    moves only when a test says so."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture(scope="session")
def mail_key_pair() -> tuple[str, str]:
    """Notifications' key pair (private, public): identity gets the public half."""
    return generate_key_pair()


@pytest.fixture
def mail_keys(mail_key_pair: tuple[str, str]) -> MailSecretsDecrypter:
    """Opens the secrets in identity's events as notifications does."""
    return MailSecretsDecrypter(mail_key_pair[0])


@pytest.fixture
def settings(tmp_path: Path, mail_key_pair: tuple[str, str]) -> IdentitySettings:
    return IdentitySettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/identity.sqlite3",
        event_sealing_key=Sealer.new_key(),
        mail_secrets_public_key=mail_key_pair[1],
    )


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def service(settings: IdentitySettings, clock: MovableClock) -> AsyncIterator[Harness]:
    app = create_app(settings)
    app.state.clock = clock
    async with service_under_test(app, Base.metadata) as harness:
        yield harness


@pytest.fixture
def make_account(service: Harness) -> MakeAccount:
    """Create an account the way the operations CLI does; returns its id."""

    async def make(email: str = "jan@example.nl", password: str = PASSWORD, language: str = "nl") -> str:
        async with service.runtime.new_uow() as uow:
            account = await create_account(
                uow,
                email=email,
                password=password,
                customer_number="100200300",
                language=language,  # type: ignore[arg-type]
            )
        return account.id

    return make


@pytest.fixture
def reset_tokens(service: Harness, mail_keys: MailSecretsDecrypter) -> ResetTokens:
    """The link tokens of the reset mails asked for so far (PasswordResetRequested, opened as
    notifications does), oldest first."""

    async def tokens() -> list[str]:
        events = await service.outbox("PasswordResetRequested")
        sealed = [PasswordResetRequested.model_validate(e.data).sealed_token for e in events]
        return [mail_keys.decrypt(s, SecretPurpose.PASSWORD_RESET_TOKEN) for s in sealed]

    return tokens
