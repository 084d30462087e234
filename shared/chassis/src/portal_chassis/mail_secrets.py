"""The secrets a mail carries (a link's token, a 6-digit code) travel in identity's events
encrypted to notifications alone.

Identity holds only the public key, so it can encrypt but not open; notifications holds the
private key. Anyone else reading the topics (operators with kcat, the data warehouse, the other
services, which all hold the event sealing key) sees a value they cannot use.

Each value is a compact JWE (ECDH-ES+A256KW, A256GCM, EC P-256) whose protected header names
its purpose. The header is authenticated, so a code encrypted for one mail cannot be opened as
another's (an activation code replayed as a reset code, a code as a token).
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from joserfc.registry import HeaderParameter

_ALG = "ECDH-ES+A256KW"
_ENC = "A256GCM"
_CURVE = "P-256"
_REGISTRY = jwe.JWERegistry(
    header_registry={"purpose": HeaderParameter("what the secret is for", "str", required=True)},
    algorithms=[_ALG, _ENC],
)


class MailSecretsError(Exception):
    pass


class SecretPurpose(StrEnum):
    """What a secret is for; identity encrypts and notifications opens with the same one.
    (The values are names, not secrets.)"""

    PASSWORD_RESET_TOKEN = "password-reset-token"  # noqa: S105
    PASSWORD_RESET_CODE = "password-reset-code"  # noqa: S105
    ACTIVATION_TOKEN = "activation-token"  # noqa: S105
    ACTIVATION_CODE = "activation-code"
    EMAIL_CHANGE_TOKEN = "email-change-token"  # noqa: S105
    EMAIL_CHANGE_CODE = "email-change-code"
    INVITATION_TOKEN = "invitation-token"  # noqa: S105


def generate_key_pair() -> tuple[str, str]:
    """A new key pair as JWK JSON: (private, public). The private one goes to notifications,
    the public one to identity."""
    key = ECKey.generate_key(_CURVE, private=True)
    private = {**key.as_dict(private=True), "kid": key.thumbprint(), "use": "enc", "alg": _ALG}
    private_json = json.dumps(private, separators=(",", ":"))  # one line: fits an env file
    return private_json, public_jwk(private_json)


def public_jwk(private_jwk_json: str) -> str:
    """The public half of a private key, as JWK JSON (what identity is given)."""
    key = _import(private_jwk_json, private=True)
    public = {**key.as_dict(private=False), "kid": key.kid or key.thumbprint(), "use": "enc", "alg": _ALG}
    return json.dumps(public, separators=(",", ":"))


def _import(jwk_json: str, *, private: bool) -> ECKey:
    what = "private" if private else "public"
    try:
        data: Any = json.loads(jwk_json)
        if not isinstance(data, dict):
            raise MailSecretsError(f"the mail secrets {what} key is not a JWK object")
        key = ECKey.import_key(data)
    except (ValueError, JoseError) as exc:  # JSONDecodeError is a ValueError
        raise MailSecretsError(f"the mail secrets {what} key is not a valid EC JWK") from exc
    if key.curve_name != _CURVE:
        raise MailSecretsError(f"the mail secrets {what} key must be on {_CURVE}")
    if private and not key.is_private:
        raise MailSecretsError("the mail secrets private key holds only the public half")
    if not private and "d" in data:
        # The encrypting side must not be able to open what it sends.
        raise MailSecretsError("the mail secrets public key holds the private half: give only the public one")
    return key


class MailSecretsEncrypter:
    """Encrypts secrets for notifications (identity's side)."""

    def __init__(self, public_jwk_json: str) -> None:
        self._key = _import(public_jwk_json, private=False)
        self._kid = self._key.kid or self._key.thumbprint()

    def encrypt(self, secret: str, purpose: SecretPurpose) -> str:
        header = {"alg": _ALG, "enc": _ENC, "kid": self._kid, "purpose": str(purpose)}
        return jwe.encrypt_compact(header, secret.encode(), self._key, registry=_REGISTRY)


class MailSecretsDecrypter:
    """Opens secrets encrypted for this key (notifications' side)."""

    def __init__(self, private_jwk_json: str) -> None:
        self._key = _import(private_jwk_json, private=True)

    def decrypt(self, value: str, purpose: SecretPurpose) -> str:
        try:
            opened = jwe.decrypt_compact(value, self._key, registry=_REGISTRY)
        except (JoseError, ValueError) as exc:
            raise MailSecretsError("mail secret cannot be opened with this key") from exc
        if opened.protected.get("purpose") != str(purpose):
            raise MailSecretsError(f"mail secret is not a {purpose}")
        if opened.plaintext is None:
            raise MailSecretsError("mail secret is empty")
        try:
            return opened.plaintext.decode()
        except UnicodeDecodeError as exc:  # authentic, but not what identity encrypts
            raise MailSecretsError("mail secret is not text") from exc


def is_jwe(value: str) -> bool:
    """Whether a value has the shape of a compact JWE (five dot-separated parts), as opposed to
    a Fernet token (no dots) written before the secrets were encrypted this way."""
    return value.count(".") == 4
