"""The keys that sign access tokens: created at start-up, rotated and retired by operations,
served as the JWKS.

Rotation without a moment of refused tokens: a new key is published in the JWKS at once but
signs only after the publish delay (every service has fetched it by then); the older keys stay
published, so tokens they signed keep verifying, until ``retire`` removes them once the new key
has signed for an access token's lifetime (or at once, for a key that leaked).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from identity.db.repositories import SigningKeys
from identity.db.tables import SigningKey
from identity.domain.signing import KeyPair, generate_key
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork

DEFAULT_PUBLISH_DELAY = timedelta(seconds=60)  # IdentitySettings.signing_key_publish_seconds


def _new_key(keys: SigningKeys, now: datetime) -> SigningKey:
    pair = generate_key()
    key = SigningKey(
        kid=pair.kid,
        private_pem=pair.private_pem,
        public_jwk=json.dumps(pair.public_jwk),
        created_at=now,
        retired_at=None,
    )
    keys.add(key)
    return key


async def ensure_signing_key(uow: UnitOfWork) -> None:
    """At start-up: make sure one signing key exists."""
    keys = SigningKeys(uow.session)
    if await keys.active():
        return
    _new_key(keys, datetime.now(UTC))
    await uow.commit()


def signer(keys: Sequence[SigningKey], now: datetime, publish_delay: timedelta) -> SigningKey:
    """Of the active keys (oldest first), the newest one published long enough ago; the oldest
    when none is (the first key, or the one left after the others were retired)."""
    published = [k for k in keys if k.created_at <= now - publish_delay]
    return published[-1] if published else keys[0]


async def current_key(
    uow: UnitOfWork, *, publish_delay: timedelta = DEFAULT_PUBLISH_DELAY, now: datetime | None = None
) -> KeyPair:
    """The key that signs now; the other active keys stay in the JWKS until retired."""
    keys = await SigningKeys(uow.session).active()
    if not keys:
        raise RuntimeError("no signing key; ensure_signing_key runs at start-up")
    key = signer(keys, now or datetime.now(UTC), publish_delay)
    return KeyPair(key.kid, key.private_pem, json.loads(key.public_jwk))


async def public_jwks(uow: UnitOfWork) -> dict[str, list[dict[str, str]]]:
    keys = await SigningKeys(uow.session).active()
    return {"keys": [json.loads(k.public_jwk) for k in keys]}


async def rotate_signing_key(
    uow: UnitOfWork, *, now: datetime, publish_delay: timedelta
) -> tuple[str, datetime]:
    """A new key, published now; returns its kid and when it starts signing."""
    key = _new_key(SigningKeys(uow.session), now)
    await uow.commit()
    return key.kid, now + publish_delay


@dataclass(frozen=True)
class Retirement:
    retired: list[str]
    kept: list[tuple[str, datetime]]  # kid, from when it may be retired


async def retire_signing_keys(
    uow: UnitOfWork,
    *,
    now: datetime,
    access_ttl: timedelta,
    publish_delay: timedelta,
    kid: str | None = None,
    immediately: bool = False,
) -> Retirement:
    """Retire the keys older than the newest one (or only ``kid``), once the newest one has
    signed for an access token's lifetime, so no token they signed is still valid; with
    ``immediately``, now (a leaked key: its tokens stop working). The newest key is never
    retired: something must sign."""
    keys = await SigningKeys(uow.session).active()
    if kid is not None and kid not in {k.kid for k in keys}:
        raise ProblemError(404, "signing-key-not-found", f"No active signing key {kid}.")
    if not keys:  # a database no service has started on yet
        return Retirement(retired=[], kept=[])
    newest = keys[-1]
    if kid == newest.kid:
        only = "the only" if len(keys) == 1 else "the newest"
        raise ProblemError(
            409,
            "signing-key-in-use",
            f"Key {kid} is {only} signing key: rotate-signing-key first, then retire it.",
        )
    older = [k for k in keys[:-1] if kid is None or k.kid == kid]
    # When the newest key signs (published long enough, or the first key) plus a token's life.
    signs_from = newest.created_at + publish_delay if len(keys) > 1 else newest.created_at
    retire_from = signs_from + access_ttl
    if not immediately and now < retire_from:
        return Retirement(retired=[], kept=[(k.kid, retire_from) for k in older])
    for key in older:
        key.retired_at = now
    await uow.commit()
    return Retirement(retired=[k.kid for k in older], kept=[])
