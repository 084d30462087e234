"""Identity's HTTP request and response bodies."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, EmailStr, Field, model_validator

from identity.domain.registration import without_whitespace
from portal_schemas.types import Language

# The password rules (length included) are checked by domain.password_policy, which names every
# rule a password fails; the schema only bounds what a request may carry.
NewPassword = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1024,
        description="At least 12 characters, at most 128; not a common or leaked password; not "
        "containing the email address or the customer number.",
    ),
]


class PasswordResetRequest(BaseModel):
    """The web sends ``email``; the app sends ``username`` and ``email`` (both of one account)."""

    email: EmailStr
    username: str | None = Field(
        None,
        min_length=1,
        max_length=254,
        description="The app's form: the old portal's user name, or the email address for "
        "accounts without one. With an address of another account, nothing is sent.",
    )


class Accepted(BaseModel):
    status: str = "accepted"
    detail: str


class Credentials(BaseModel):
    """Either ``email`` or ``username`` (the user name of the old customer portal)."""

    email: EmailStr | None = None
    username: str | None = Field(None, min_length=1, max_length=150)
    password: str = Field(min_length=1, max_length=128)
    stay_signed_in: bool = Field(
        False, description="Keep the session for days instead of hours (a trusted device)."
    )

    @model_validator(mode="after")
    def _one_login(self) -> Self:
        if (self.email is None) == (self.username is None):
            raise ValueError("send either email or username")
        return self


class LegacyPasswordBody(BaseModel):
    migration_token: str = Field(min_length=20, max_length=200)
    new_password: NewPassword


class RefreshTokenBody(BaseModel):
    refresh_token: str = Field(min_length=20, max_length=200)


class SessionTokens(BaseModel):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = Field(description="Seconds the access token is valid.")
    refresh_token: str = Field(description="Single use: each refresh answers with the next one.")
    refresh_expires_in: int = Field(description="Seconds the refresh token is valid.")


class Registration(BaseModel):
    customer_number: str = Field(min_length=1, max_length=20, description="As printed on invoices.")
    postcode: str = Field(
        min_length=6,
        max_length=10,
        description="Of a supply address or of the billing address; spaces and case do not matter.",
    )
    email: EmailStr
    password: NewPassword
    language: Language | None = Field(None, description="Defaults to the customer's language.")


def _token(value: str) -> str:
    return without_whitespace(value)


def _code(value: str) -> str:
    code = without_whitespace(value)
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        raise ValueError("the code has 6 digits")
    return code


# A link that a mail program broke over two lines, pasted back, may carry line breaks or spaces.
# Activation and password-reset links and codes share these types.
ActivationToken = Annotated[str, AfterValidator(_token), Field(min_length=20, max_length=200)]
ActivationCode = Annotated[str, Field(min_length=6, max_length=20), AfterValidator(_code)]


class ActivationBody(BaseModel):
    """Either ``token`` (from the link) or ``email`` and ``code`` (typed in)."""

    token: ActivationToken | None = None
    email: EmailStr | None = None
    code: ActivationCode | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        by_token = self.token is not None
        by_code = self.email is not None and self.code is not None
        if by_token == by_code or (not by_code and (self.email is not None or self.code is not None)):
            raise ValueError("send either token, or email and code")
        return self


class PasswordResetConfirmation(BaseModel):
    """Either ``token`` (from the link) or ``email`` and ``code`` (typed in), and the new password."""

    token: ActivationToken | None = None
    email: EmailStr | None = None
    code: ActivationCode | None = None
    new_password: NewPassword
    stay_signed_in: bool = Field(
        False, description="Keep the new session for days instead of hours (a trusted device)."
    )

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        by_token = self.token is not None
        by_code = self.email is not None and self.code is not None
        if by_token == by_code or (not by_code and (self.email is not None or self.code is not None)):
            raise ValueError("send either token, or email and code")
        return self


class ResendActivation(BaseModel):
    email: EmailStr
