"""The keys that sign access tokens: created at start-up, served as the JWKS."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from identity.db.repositories import SigningKeys
from identity.db.tables import SigningKey
from identity.domain.signing import KeyPair, generate_key
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
