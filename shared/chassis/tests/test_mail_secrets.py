"""Mail secrets: identity encrypts with the public key, only the private key opens, and each
value opens only for the purpose it was encrypted for."""

from __future__ import annotations

import base64
import json

import pytest
from joserfc import jwe
from joserfc.jwk import ECKey

from portal_chassis.mail_secrets import (
    MailSecretsDecrypter,
    MailSecretsEncrypter,
    MailSecretsError,
    SecretPurpose,
    generate_key_pair,
    is_jwe,
    public_jwk,
)
from portal_chassis.sealing import Sealer

TOKEN = "Q2hlY2sgdGhhdCB0aGlzIHRva2VuIGlzIGxvbmcgZW5vdWdo"


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return generate_key_pair()


def _segment(value: str, index: int) -> dict[str, object]:
    part = value.split(".")[index]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def test_a_secret_opens_with_the_private_key_for_its_purpose(keys: tuple[str, str]) -> None:
    private, public = keys
    value = MailSecretsEncrypter(public).encrypt(TOKEN, SecretPurpose.PASSWORD_RESET_TOKEN)

    assert is_jwe(value)
    assert TOKEN not in value
    assert MailSecretsDecrypter(private).decrypt(value, SecretPurpose.PASSWORD_RESET_TOKEN) == TOKEN


def test_the_header_names_the_algorithms_key_and_purpose(keys: tuple[str, str]) -> None:
    private, public = keys
    header = _segment(MailSecretsEncrypter(public).encrypt("042917", SecretPurpose.ACTIVATION_CODE), 0)

    assert header["alg"] == "ECDH-ES+A256KW"
    assert header["enc"] == "A256GCM"
    assert header["purpose"] == "activation-code"
    assert header["kid"] == json.loads(public)["kid"] == json.loads(private)["kid"]


def test_each_encryption_differs(keys: tuple[str, str]) -> None:
    encrypter = MailSecretsEncrypter(keys[1])
    first = encrypter.encrypt("042917", SecretPurpose.ACTIVATION_CODE)
    assert first != encrypter.encrypt("042917", SecretPurpose.ACTIVATION_CODE)  # fresh ephemeral key


def test_a_secret_does_not_open_for_another_purpose(keys: tuple[str, str]) -> None:
    private, public = keys
    code = MailSecretsEncrypter(public).encrypt("042917", SecretPurpose.ACTIVATION_CODE)

    with pytest.raises(MailSecretsError, match="not a password-reset-code"):
        MailSecretsDecrypter(private).decrypt(code, SecretPurpose.PASSWORD_RESET_CODE)
    with pytest.raises(MailSecretsError):
        MailSecretsDecrypter(private).decrypt(code, SecretPurpose.ACTIVATION_TOKEN)


def test_a_purpose_rewritten_in_the_header_breaks_the_seal(keys: tuple[str, str]) -> None:
    private, public = keys
    parts = MailSecretsEncrypter(public).encrypt("042917", SecretPurpose.ACTIVATION_CODE).split(".")
    header = {**_segment(".".join(parts), 0), "purpose": "password-reset-code"}
    parts[0] = base64.urlsafe_b64encode(json.dumps(header).encode()).decode().rstrip("=")

    with pytest.raises(MailSecretsError, match="cannot be opened"):
        MailSecretsDecrypter(private).decrypt(".".join(parts), SecretPurpose.PASSWORD_RESET_CODE)


def test_another_key_pair_cannot_open_it(keys: tuple[str, str]) -> None:
    value = MailSecretsEncrypter(keys[1]).encrypt(TOKEN, SecretPurpose.INVITATION_TOKEN)
    stranger, _ = generate_key_pair()

    with pytest.raises(MailSecretsError, match="cannot be opened"):
        MailSecretsDecrypter(stranger).decrypt(value, SecretPurpose.INVITATION_TOKEN)


@pytest.mark.parametrize(
    "value", ["", "not a jwe", "a.b.c.d.e", "....", Sealer(Sealer.new_key()).seal(TOKEN)]
)
def test_garbage_is_refused_with_the_one_error(keys: tuple[str, str], value: str) -> None:
    with pytest.raises(MailSecretsError):
        MailSecretsDecrypter(keys[0]).decrypt(value, SecretPurpose.PASSWORD_RESET_TOKEN)


def test_bytes_that_are_no_text_are_refused_with_the_one_error(keys: tuple[str, str]) -> None:
    """The public key is no secret: anyone who can write to the topic can encrypt with it."""
    private, public = keys
    header = {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "purpose": "activation-code"}
    registry = jwe.JWERegistry(algorithms=[header["alg"], header["enc"]], strict_check_header=False)
    value = jwe.encrypt_compact(header, b"\xff\xfe", ECKey.import_key(json.loads(public)), registry=registry)

    with pytest.raises(MailSecretsError, match="not text"):
        MailSecretsDecrypter(private).decrypt(value, SecretPurpose.ACTIVATION_CODE)


def test_a_fernet_token_is_not_taken_for_a_jwe() -> None:
    assert not is_jwe(Sealer(Sealer.new_key()).seal(TOKEN))


def test_the_encrypter_refuses_a_private_key(keys: tuple[str, str]) -> None:
    with pytest.raises(MailSecretsError, match="private half"):
        MailSecretsEncrypter(keys[0])


def test_the_decrypter_refuses_a_public_key(keys: tuple[str, str]) -> None:
    with pytest.raises(MailSecretsError, match="only the public half"):
        MailSecretsDecrypter(keys[1])


@pytest.mark.parametrize(
    "jwk",
    [
        "",
        "not json",
        "[]",
        "{}",
        '{"kty": "oct", "k": "c2VjcmV0"}',
        json.dumps(ECKey.generate_key("P-384", private=False).as_dict(private=False)),
    ],
)
def test_a_key_that_is_no_p256_jwk_is_refused(jwk: str) -> None:
    with pytest.raises(MailSecretsError):
        MailSecretsEncrypter(jwk)


def test_the_public_half_is_derived_from_the_private_key(keys: tuple[str, str]) -> None:
    private, public = keys
    assert public_jwk(private) == public
    assert "d" not in json.loads(public) and "\n" not in private  # one line: fits an env file
