"""Access-token verification, done by every service itself.

Tokens are ES256 JWTs signed by identity; the public keys come from identity's JWKS endpoint
(the one cross-service call allowed) and are cached. An unknown key id triggers one refetch
(at most every 30 s), so a rotated key is picked up without a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Request

from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError

log = get_logger(__name__)

ISSUER = "identity"
AUDIENCE = "portal"
# Operations staff get tokens for this audience only (minted by identity's operator-token
# command): a customer's token never opens an admin endpoint, nor an operator's a customer's.
OPERATIONS_AUDIENCE = "portal-operations"
ALGORITHMS = ["ES256"]


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account, the customer it acts for and, when the token names it, the
    log-in (session) it belongs to: identity keeps that session when it ends the others."""

    account_id: str
    customer_number: str
    session_id: str | None = None


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float = 300,
        refetch_seconds: float = 30,
        loader: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    ) -> None:
        """``loader`` replaces the HTTP fetch: identity reads its own keys from its database."""
        self.url = url
        self._loader = loader
        self._ttl = ttl_seconds
        self._refetch = refetch_seconds
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0
        self._static = False
        self._lock = asyncio.Lock()

    def use_static(self, jwks: dict[str, Any]) -> None:
        """Tests: trust exactly these keys, fetch nothing."""
        self._keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"]}
        self._static = True

    async def key(self, kid: str) -> Any:
        # A request for a kid we lack also waits while a fetch is in flight (the attempt is
        # stamped when it starts, so _stale is already false): it may bring exactly that key.
        # Known kids never wait; they use the cached keys.
        if not self._static and (self._stale(kid) or (kid not in self._keys and self._lock.locked())):
            async with self._lock:  # one fetch at a time; the others use its result
                if self._stale(kid):
                    await self._fetch()
        try:
            return self._keys[kid]
        except KeyError:
            if not self._static and not self._keys:
                # Never got any key (identity down since start): we cannot tell, the token may be fine.
                raise ProblemError(
                    503, "auth-unavailable", "Access tokens cannot be checked right now."
                ) from None
            raise ProblemError(401, "not-authenticated", "The access token is not valid.") from None

    def _stale(self, kid: str) -> bool:
        age = time.monotonic() - self._fetched_at
        return age > self._ttl or (kid not in self._keys and age > self._refetch)

    async def _fetch(self) -> None:
        # Counted as an attempt even when it fails: while identity is down, requests use the
        # cached keys instead of each waiting for a fetch to time out.
        self._fetched_at = time.monotonic()
        try:
            if self._loader is not None:
                jwks = await self._loader()
            else:
                async with httpx.AsyncClient(timeout=3) as client:
                    response = await client.get(self.url)
                    response.raise_for_status()
                jwks = response.json()
            self._keys = {k["kid"]: jwt.PyJWK(k).key for k in jwks["keys"]}
        # TypeError/AttributeError: a JWKS of the wrong shape (a list, entries that are not objects).
        except (httpx.HTTPError, KeyError, ValueError, TypeError, AttributeError, jwt.PyJWKError) as exc:
            log.warning("could not fetch the JWKS", error=type(exc).__name__)
            if not self._keys:
                raise ProblemError(
                    503, "auth-unavailable", "Access tokens cannot be checked right now."
                ) from exc


@dataclass(frozen=True)
class Operator:
    """A member of operations staff, named in audit logs and in the events they cause."""

    name: str


async def _verified_claims(request: Request, audience: str, required: list[str]) -> dict[str, Any]:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ProblemError(401, "not-authenticated", "Log in first: this needs a bearer access token.")
    cache: JwksCache = request.app.state.jwks
    try:
        kid = jwt.get_unverified_header(token).get("kid", "")
        claims: dict[str, Any] = jwt.decode(
            token,
            await cache.key(kid),
            algorithms=ALGORITHMS,
            audience=audience,
            issuer=ISSUER,
            options={"require": ["exp", "sub", "aud", "iss", *required]},
        )
    except jwt.PyJWTError:
        raise ProblemError(401, "not-authenticated", "The access token is not valid.") from None
    return claims


async def current_operator(request: Request) -> Operator:
    claims = await _verified_claims(request, OPERATIONS_AUDIENCE, [])
    name = claims["sub"]
    if not isinstance(name, str) or not name:
        raise ProblemError(401, "not-authenticated", "The access token is not valid.")
    return Operator(name=name)


async def current_principal(request: Request) -> Principal:
    claims = await _verified_claims(request, AUDIENCE, ["customer_number"])
    customer_number = claims["customer_number"]
    if not isinstance(customer_number, str) or not customer_number:
        raise ProblemError(401, "not-authenticated", "The access token is not valid.")
    session_id = claims.get("sid")
    return Principal(
        account_id=claims["sub"],
        customer_number=customer_number,
        # Optional: tokens signed before the claim existed, and other issuers' test tokens.
        session_id=session_id if isinstance(session_id, str) and session_id else None,
    )


CustomerDep = Annotated[Principal, Depends(current_principal)]
OperatorDep = Annotated[Operator, Depends(current_operator)]
