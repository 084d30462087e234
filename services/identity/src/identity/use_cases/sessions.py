"""Sessions: a log-in opens a family of refresh tokens; each refresh rotates to the next one.

Refresh tokens are random, stored only as their digest and usable once. Presenting one that
was already used means two parties hold the family (a copied token), so the whole family is
revoked and everybody has to log in again. Logging out, and a password reset, revoke too.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn

from identity.db.repositories import Accounts, Sessions
from identity.db.tables import Account, RefreshToken, SessionFamily
from identity.domain.registration import CLOSED, ENDED
from identity.domain.secrets import new_token, token_digest
from identity.domain.signing import issue_access_token
from identity.settings import IdentitySettings
from identity.use_cases.signing_keys import current_key
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int  # seconds
    refresh_token: str
    refresh_expires_in: int  # seconds


def _invalid() -> ProblemError:
    # One answer for unknown, expired and revoked tokens: the client logs in again either way.
    return ProblemError(401, "refresh-token-invalid", "This session has ended. Log in again.")


async def open_session(
    uow: UnitOfWork, settings: IdentitySettings, account: Account, *, stay_signed_in: bool, now: datetime
) -> IssuedTokens:
    """Start a session family for a log-in that has been checked; the caller commits."""
    family = SessionFamily(
        id=str(uuid.uuid4()),
        account_id=account.id,
        stay_signed_in=stay_signed_in,
        created_at=now,
        revoked_at=None,
        revoked_reason=None,
    )
    await Sessions(uow.session).add_family(family)
    return await _issue(uow, settings, account, family, now)


async def refresh_session(
    uow: UnitOfWork, settings: IdentitySettings, refresh_token: str, now: datetime
) -> IssuedTokens:
    sessions = Sessions(uow.session)
    token = await sessions.token_by_digest(token_digest(refresh_token))
    if token is None:
        raise _invalid()
    family = await sessions.family(token.session_id)
    assert family is not None, "refresh tokens reference a session"
    if family.revoked_at is not None:
        raise _invalid()
    if token.used_at is not None:
        await _revoke_for_reuse(uow, family, now)
    if token.expires_at <= now:
        raise _invalid()
    if not await sessions.use_token(token.id, now):  # a concurrent request used it first
        await _revoke_for_reuse(uow, family, now)
    account = await Accounts(uow.session).get(family.account_id)
    assert account is not None, "sessions reference an account"
    if account.status in (CLOSED, ENDED):  # merged or access ended meanwhile (both revoke sessions)
        await uow.rollback()
        raise _invalid()
    issued = await _issue(uow, settings, account, family, now)
    await uow.commit()
    return issued


async def end_session(uow: UnitOfWork, refresh_token: str, now: datetime) -> None:
    """Log out: the token's family ends. An unknown token changes nothing and says nothing."""
    sessions = Sessions(uow.session)
    token = await sessions.token_by_digest(token_digest(refresh_token))
    if token is None:
        return
    await sessions.revoke_family(token.session_id, now, "logout")
    await uow.commit()


async def _revoke_for_reuse(uow: UnitOfWork, family: SessionFamily, now: datetime) -> NoReturn:
    await Sessions(uow.session).revoke_family(family.id, now, "reuse")
    await uow.commit()
    log.warning("refresh token reused; session revoked", account_id=family.account_id, session=family.id)
    raise ProblemError(
        401,
        "refresh-token-reused",
        "This refresh token was already used, so the session was ended to be safe. Log in again.",
    )


async def _issue(
    uow: UnitOfWork, settings: IdentitySettings, account: Account, family: SessionFamily, now: datetime
) -> IssuedTokens:
    """A new access token and the family's next refresh token, with the family's lifetime."""
    refresh_ttl = settings.refresh_token_ttl(stay_signed_in=family.stay_signed_in)
    refresh = new_token()
    Sessions(uow.session).add_token(
        RefreshToken(
            id=str(uuid.uuid4()),
            session_id=family.id,
            token_hash=token_digest(refresh),
            created_at=now,
            expires_at=now + refresh_ttl,
            used_at=None,
        )
    )
    access = issue_access_token(
        await current_key(uow, publish_delay=settings.signing_key_publish_delay, now=now),
        account_id=account.id,
        customer_number=account.customer_number,
        session_id=family.id,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        now=now,
        ttl=settings.access_token_ttl,
    )
    return IssuedTokens(
        access_token=access,
        expires_in=int(settings.access_token_ttl.total_seconds()),
        refresh_token=refresh,
        refresh_expires_in=int(refresh_ttl.total_seconds()),
    )
