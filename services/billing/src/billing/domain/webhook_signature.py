"""The payment provider's webhook signature: HMAC-SHA256 over "<timestamp>.<raw body>".

The header reads ``Provider-Signature: t=1767225600,v1=<hex digest>`` (more than one v1 while a
secret is being rotated). A webhook is accepted only when one v1 matches, compared in constant
time, and its timestamp is within the tolerance of our clock: a captured webhook cannot be
sent again later. The raw body is signed, never a re-serialised one, so no JSON detail
(spacing, key order) can make a valid signature fail or a changed body pass.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Provider-Signature"


class SignatureError(Exception):
    """Missing, malformed, wrong or stale signature."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(header: str | None, body: bytes, *, secret: str, now: int, tolerance_seconds: int) -> None:
    """Raise SignatureError unless ``header`` signs ``body`` with ``secret`` within the tolerance."""
    if not secret:
        raise SignatureError("no webhook secret is configured")
    if not header:
        raise SignatureError("the signature header is missing")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("the signature header is malformed")
    if abs(now - timestamp) > tolerance_seconds:
        raise SignatureError("the signature timestamp is outside the tolerance")
    expected = signature(secret, timestamp, body)
    # Every candidate is compared, so the time taken does not tell which one came close.
    matches = [hmac.compare_digest(expected.encode(), c.encode()) for c in candidates]
    if not any(matches):
        raise SignatureError("the signature does not match")
