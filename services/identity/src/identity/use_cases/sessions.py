"""Logging in: email and password in, a signed access token out."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from identity.db.repositories import Accounts, SigningKeys
from identity.db.tables import SigningKey
from identity.domain.secrets import hash_password, needs_rehash, verify_password
from identity.domain.signing import KeyPair, generate_key, issue_access_token
from identity.settings import IdentitySettings
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork


async def ensure_signing_key(uow: UnitOfWork) -> None:
    """At start-up: make sure one signing key exists."""
    keys = SigningKeys(uow.session)
    if await keys.active():
        return
    pair = generate_key()
    keys.add(
        SigningKey(
            kid=pair.kid,
            private_pem=pair.private_pem,
            public_jwk=json.dumps(pair.public_jwk),
            created_at=datetime.now(UTC),
            retired_at=None,
        )
    )
    await uow.commit()


async def current_key(uow: UnitOfWork) -> KeyPair:
    """The newest active key signs; older active keys stay in the JWKS until retired."""
    keys = await SigningKeys(uow.session).active()
    if not keys:
        raise RuntimeError("no signing key; ensure_signing_key runs at start-up")
    newest = keys[-1]
    return KeyPair(newest.kid, newest.private_pem, json.loads(newest.public_jwk))


async def public_jwks(uow: UnitOfWork) -> dict[str, list[dict[str, str]]]:
    keys = await SigningKeys(uow.session).active()
    return {"keys": [json.loads(k.public_jwk) for k in keys]}


async def log_in(uow: UnitOfWork, settings: IdentitySettings, email: str, password: str) -> tuple[str, int]:
    account = await Accounts(uow.session).by_email(email)
    if not verify_password(account.password_hash if account else None, password):
        raise ProblemError(401, "invalid-credentials", "The email or the password is not right.")
    assert account is not None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    key = await current_key(uow)
    token = issue_access_token(
        key,
        account_id=account.id,
        customer_number=account.customer_number,
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        now=datetime.now(UTC),
        ttl=settings.access_token_ttl,
    )
    await uow.commit()
    return token, int(settings.access_token_ttl.total_seconds())
