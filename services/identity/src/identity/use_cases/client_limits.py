"""Password spraying: a few guesses at many accounts from one client.

The lockout stops guessing at one account; this counts a client's failed log-ins and
registration proofs across all accounts in a sliding window and answers 429 above the limit,
until enough of its failures have aged out of the window. Only failures count, so a household
behind one address that logs in correctly is never slowed down.

A client is its address as the gateway saw it (see deploy/gateway: X-Forwarded-For from a
trusted balancer), stored only as a keyed hash: the table holds no addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from identity.db.repositories import ClientFailures
from identity.settings import IdentitySettings
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


def client_key(settings: IdentitySettings, address: str) -> str:
    secret = settings.event_sealing_key.get_secret_value() if settings.event_sealing_key else ""
    return hmac.new(f"client-failures:{secret}".encode(), address.encode(), hashlib.sha256).hexdigest()


async def refuse_when_spraying(uow: UnitOfWork, settings: IdentitySettings, key: str, now: datetime) -> None:
    since = now - settings.client_failure_window
    failures = ClientFailures(uow.session)
    count = await failures.count_since(key, since)
    if count < settings.max_client_failures:
        return
    # Below the limit again once the (count - limit + 1) oldest failures have left the window.
    boundary = await failures.nth_oldest_since(key, since, count - settings.max_client_failures)
    wait = (boundary + settings.client_failure_window - now) if boundary else settings.client_failure_window
    seconds = max(1, math.ceil(wait.total_seconds()))
    log.warning("client refused after repeated failures", failures=count)
    raise ProblemError(
        429,
        "too-many-failures",
        "Too many failed attempts from your connection. Wait a while before trying again; if "
        "you forgot your password, you can reset it.",
        headers={"Retry-After": str(seconds)},
        retry_after=seconds,
    )


async def record_failure(uow: UnitOfWork, settings: IdentitySettings, key: str, now: datetime) -> None:
    await uow.rollback()  # whatever the failed attempt left open; its own writes are committed
    failures = ClientFailures(uow.session)
    failures.add(key, now)
    await failures.forget_before(now - settings.client_failure_window)
    await uow.commit()


# The answers that mean "a guess was wrong". A refused weak password or a malformed body is
# no guess and does not count.
GUESS_FAILED: frozenset[str] = frozenset(
    {"invalid-credentials", "account-locked", "registration-not-matched", "registration-password-mismatch"}
)


@asynccontextmanager
async def counting_failures(
    uow: UnitOfWork, settings: IdentitySettings, key: str, now: datetime
) -> AsyncIterator[None]:
    """Refuse a client over the limit, then count the attempt when it fails as a wrong guess
    (a password, a registration proof)."""
    await refuse_when_spraying(uow, settings, key, now)
    try:
        yield
    except ProblemError as exc:
        if exc.slug in GUESS_FAILED:
            await record_failure(uow, settings, key, now)
        raise
