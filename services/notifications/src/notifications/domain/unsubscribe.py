"""The token in a newsletter's one-click unsubscribe link (RFC 8058).

It names the account and the newsletter and is signed (HMAC-SHA256) with a key only
notifications holds, so nobody can unsubscribe someone else by making up a link. It does not
expire: a newsletter read months later must still let its reader stop the next one. The same
account and newsletter always give the same token, in every campaign.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from notifications.domain.newsletters import NEWSLETTERS
from portal_schemas.notifications import MarketingTopic

# Longer than any token this module makes (an account id of 36 characters and the longest
# newsletter name give 120): anything longer is refused unread.
TOKEN_MAX_LENGTH = 200
_KEY_LABEL = b"notifications: one-click unsubscribe links, v1"
_MAC_LABEL = b"unsubscribe\x00"
_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Unsubscription:
    account_id: str
    newsletter: MarketingTopic


def derive_key(secret: str) -> bytes:
    """The signing key, derived from a longer-lived secret for this one purpose, so a token
    reveals nothing usable about the secret and the secret's other uses about the key."""
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def unsubscribe_token(key: bytes, account_id: str, newsletter: MarketingTopic) -> str:
    payload = _b64(f"{newsletter}:{account_id}".encode())
    return f"{payload}.{_b64(_mac(key, payload))}"


def read_unsubscribe_token(key: bytes, token: str) -> Unsubscription | None:
    """What a token names, or None when it is not one of ours (made up, altered, cut)."""
    if len(token) > TOKEN_MAX_LENGTH or not _SHAPE.fullmatch(token):
        return None
    payload, signature = token.split(".")
    try:
        given = _unb64(signature)
        newsletter, _, account_id = _unb64(payload).decode().partition(":")
    except ValueError:  # bad base64 padding, or not UTF-8
        return None
    if not hmac.compare_digest(given, _mac(key, payload)):
        return None
    if newsletter not in NEWSLETTERS or not account_id:
        return None
    return Unsubscription(account_id=account_id, newsletter=newsletter)


def _mac(key: bytes, payload: str) -> bytes:
    return hmac.new(key, _MAC_LABEL + payload.encode(), hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
