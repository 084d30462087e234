"""Access tokens: ES256 JWTs with a key id, verifiable by any service from the JWKS."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

ALGORITHM = "ES256"


@dataclass(frozen=True)
class KeyPair:
    kid: str
    private_pem: str
    public_jwk: dict[str, Any]


def generate_key() -> KeyPair:
    private = ec.generate_private_key(ec.SECP256R1())
    kid = uuid.uuid4().hex
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": kid, "use": "sig", "alg": ALGORITHM})
    return KeyPair(kid, pem, jwk)


def issue_access_token(
    key: KeyPair,
    *,
    account_id: str,
    customer_number: str,
    session_id: str,
    issuer: str,
    audience: str,
    now: datetime,
    ttl: timedelta,
) -> str:
    claims = {
        "sub": account_id,
        "customer_number": customer_number,
        "sid": session_id,  # the log-in this token belongs to, for audit and support
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid})


def issue_operator_token(
    key: KeyPair, *, operator: str, issuer: str, audience: str, now: datetime, ttl: timedelta
) -> str:
    """A token for operations staff: ``sub`` names the operator, the audience is the
    operations one, so it opens admin endpoints and nothing a customer uses."""
    claims = {
        "sub": operator,
        "iss": issuer,
        "aud": audience,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key.private_pem, algorithm=ALGORITHM, headers={"kid": key.kid})
