"""Secrets in identity's events: someone reading the topic (kcat, a downstream system, any other
service with the suite-wide EVENT_SEALING_KEY) finds no usable token or code in the records,
while the mail's link and code, opened by notifications alone, work against identity."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import httpx
import pytest
from aiokafka import ConsumerRecord

from portal_chassis.mail_secrets import MailSecretsDecrypter, SecretPurpose, is_jwe
from portal_chassis.sealing import Sealer, SealingError
from portal_stack import MailCatcherClient, Stack

CODE_LINE = re.compile(r"^\s*(\d{6})\s*$", flags=re.MULTILINE)


def encodings(secret: str) -> set[bytes]:
    """The secret as it could hide in a record: as is, and base64 (standard and URL-safe) at
    each of the three alignments it can have inside a longer encoded value."""
    raw = secret.encode()
    found = {raw}
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + raw).rstrip(b"=")
            # Drop the characters that also carry bits of the padding before or after.
            start = 4 if offset else 0
            end = len(encoded) - (len(encoded) % 4 or 4) if (offset + len(raw)) % 3 else len(encoded)
            # Fragments shorter than 8 characters would turn up in random ciphertext now and then
            # (a 6-digit code gives 4): only the longer ones say anything.
            if end - start >= 8:
                found.add(encoded[start:end])
    return found


def record_bytes(record: ConsumerRecord[bytes, bytes]) -> bytes:
    """Everything a reader of the topic gets: key, value and headers."""
    return b"\n".join([record.key or b"", record.value or b"", *(value for _, value in record.headers)])


def protected_header(value: str) -> dict[str, Any]:
    part = value.split(".")[0]
    header: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return header


def assert_unusable_to_readers(
    stack: Stack, record: ConsumerRecord[bytes, bytes], secrets: dict[str, str], purposes: dict[str, str]
) -> dict[str, Any]:
    """``secrets``: field name -> the value the mail showed; ``purposes``: field -> purpose."""
    raw = record_bytes(record)
    for field, secret in secrets.items():
        for form in encodings(secret):
            assert form not in raw, f"{field} readable in the record as {form!r}"
    data: dict[str, Any] = json.loads(record.value or b"")["data"]
    suite_wide = Sealer(stack.services["identity"].env["EVENT_SEALING_KEY"])
    for field in secrets:
        sealed = data[field]
        assert is_jwe(sealed)
        header = protected_header(sealed)
        assert (header["alg"], header["enc"], header["purpose"]) == (
            "ECDH-ES+A256KW",
            "A256GCM",
            purposes[field],
        )
        with pytest.raises(SealingError):  # the key every service holds opens nothing
            suite_wide.open(sealed)
    return data


def opened_by_notifications(stack: Stack, sealed: str, purpose: SecretPurpose) -> str:
    return MailSecretsDecrypter(
        stack.services["notifications"].env["NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY"]
    ).decrypt(sealed, purpose)


def test_only_notifications_holds_the_private_key(stack: Stack) -> None:
    identity, notifications = stack.services["identity"].env, stack.services["notifications"].env
    assert "d" not in json.loads(identity["IDENTITY_MAIL_SECRETS_PUBLIC_KEY"])
    assert "d" in json.loads(notifications["NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY"])
    for name, handle in stack.services.items():
        if name != "notifications":
            assert "NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY" not in handle.env, name


def test_the_reset_records_hold_no_usable_token_or_code_and_the_mail_works(
    stack: Stack, gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, customer: Any, helpers: Any
) -> None:
    asked = gateway.post("/identity/v1/password-resets", json={"email": customer.email})
    assert asked.status_code == 202, asked.text
    message = mail.wait_for(
        lambda m: customer.email in m.to and "reset-password?token=" in (m.text or ""), timeout=30
    )
    [token] = re.findall(r"reset-password\?token=(\S+)", message.text or "")
    [code] = CODE_LINE.findall(message.text or "")

    [record] = kafka.keyed("identity.password-reset-requested.v1", customer.account_id)
    data = assert_unusable_to_readers(
        stack,
        record,
        {"sealed_token": token, "sealed_code": code},
        {"sealed_token": "password-reset-token", "sealed_code": "password-reset-code"},
    )
    assert opened_by_notifications(stack, data["sealed_token"], SecretPurpose.PASSWORD_RESET_TOKEN) == token
    assert opened_by_notifications(stack, data["sealed_code"], SecretPurpose.PASSWORD_RESET_CODE) == code

    new_password = "a passphrase only I know"
    confirmed = gateway.post(
        "/identity/v1/password-resets/confirm", json={"token": token, "new_password": new_password}
    )
    assert confirmed.status_code == 200, confirmed.text
    helpers.log_in(gateway, customer.email, new_password)


def test_the_activation_records_hold_no_usable_token_or_code_and_the_mail_works(
    stack: Stack, gateway: httpx.Client, mail: MailCatcherClient, cli: Any, kafka: Any, helpers: Any
) -> None:
    number = helpers.new_customer_number()
    cli.create_contract(number)
    email = f"geheim{number}@example.nl"
    kafka.wait_until_handled("contracts.customer-registered.v1", number, "identity.registration-facts")
    body = {
        "customer_number": number,
        "postcode": "1234AB",
        "email": email,
        "password": "a sturdy passphrase",
    }
    registered = gateway.post("/identity/v1/registrations", json=body)
    assert registered.status_code == 202, registered.text
    message = mail.wait_for(lambda m: email in m.to and "activate?token=" in (m.text or ""), timeout=30)
    [token] = re.findall(r"activate\?token=(\S+)", message.text or "")
    [code] = CODE_LINE.findall(message.text or "")

    records = kafka.read(
        "identity.activation-requested.v1", lambda rs: any(email.encode() in (r.value or b"") for r in rs)
    )
    [record] = [r for r in records if email.encode() in (r.value or b"")]
    data = assert_unusable_to_readers(
        stack,
        record,
        {"sealed_token": token, "sealed_code": code},
        {"sealed_token": "activation-token", "sealed_code": "activation-code"},
    )
    assert opened_by_notifications(stack, data["sealed_code"], SecretPurpose.ACTIVATION_CODE) == code

    activated = gateway.post("/identity/v1/activations", json={"token": token})
    assert activated.status_code == 204, activated.text
    helpers.log_in(gateway, email, "a sturdy passphrase")
