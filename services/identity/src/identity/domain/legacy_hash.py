"""Password hashes exported from the old customer portal.

Format (one string, four fields separated by ``$``)::

    pbkdf2_sha256$<iterations>$<salt>$<hash>

- ``iterations``: decimal, from 1,000 to 2,000,000 (an upper bound, so that no imported row
  can make a log-in arbitrarily slow);
- ``salt``: the salt bytes in standard base64 (RFC 4648 with padding), at least 8 bytes;
- ``hash``: PBKDF2-HMAC-SHA256 of the UTF-8 password with that salt and iteration count, in
  standard base64; its length (16 to 64 bytes, normally 32) is the derived key length.

A password is right when ``hashlib.pbkdf2_hmac("sha256", password, salt, iterations,
len(hash))`` equals the hash (compared in constant time). These hashes are only ever verified,
never made: the first log-in with the right password leads to a new password (argon2id).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Final

SCHEME: Final = "pbkdf2_sha256"
MIN_ITERATIONS: Final = 1_000
MAX_ITERATIONS: Final = 2_000_000
_MIN_SALT: Final = 8
_MIN_HASH, _MAX_HASH = 16, 64


class LegacyHashError(ValueError):
    """The string is not a hash in the documented format (the message never quotes it)."""


@dataclass(frozen=True)
class LegacyHash:
    iterations: int
    salt: bytes
    digest: bytes


def _b64(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise LegacyHashError(f"the {what} is not base64") from None


def parse_legacy_hash(encoded: str) -> LegacyHash:
    parts = encoded.strip().split("$")
    if len(parts) != 4 or parts[0] != SCHEME:
        raise LegacyHashError(f"not of the form {SCHEME}$<iterations>$<salt>$<hash>")
    _, iterations_text, salt_text, digest_text = parts
    if not iterations_text.isascii() or not iterations_text.isdigit():
        raise LegacyHashError("the iteration count is not a number")
    iterations = int(iterations_text)
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        raise LegacyHashError(f"the iteration count is outside {MIN_ITERATIONS}..{MAX_ITERATIONS}")
    salt = _b64(salt_text, "salt")
    digest = _b64(digest_text, "hash")
    if len(salt) < _MIN_SALT:
        raise LegacyHashError(f"the salt has fewer than {_MIN_SALT} bytes")
    if not _MIN_HASH <= len(digest) <= _MAX_HASH:
        raise LegacyHashError(f"the hash is not {_MIN_HASH} to {_MAX_HASH} bytes long")
    return LegacyHash(iterations, salt, digest)


def verify_legacy_password(encoded: str, password: str) -> bool:
    """Whether ``password`` matches the legacy hash; False for a malformed hash."""
    try:
        parsed = parse_legacy_hash(encoded)
    except LegacyHashError:
        return False
    derived = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), parsed.salt, parsed.iterations, len(parsed.digest)
    )
    return hmac.compare_digest(derived, parsed.digest)
