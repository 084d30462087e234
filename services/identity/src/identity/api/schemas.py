"""Identity's HTTP request and response bodies."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    WithJsonSchema,
    model_validator,
)

from identity.domain.contract_proof import (
    normalise_contract_number,
    normalise_registration_code,
    parse_amount,
)
from identity.domain.registration import without_whitespace
from identity.domain.time_zones import known_time_zone
from portal_schemas.identity import AccessRefusalReason, ContractRole
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


class PasswordChange(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    new_password: NewPassword


class EmailChangeRequest(BaseModel):
    password: str = Field(min_length=1, max_length=1024, description="The current password.")
    new_email: EmailStr


class EmailChangeConfirmation(BaseModel):
    """Either ``token`` (from the link; no log-in needed) or ``code`` (typed in while logged in:
    send the account's bearer token)."""

    token: ActivationToken | None = None
    code: ActivationCode | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.token is None) == (self.code is None):
            raise ValueError("send either token or code")
        return self


class Preferences(BaseModel):
    language: Language
    offers: bool = Field(description="Offers and promotions by email.")
    news: bool = Field(description="The newsletter.")
    energy_saving_advice: bool = Field(description="Tips to use less energy.")
    time_zone: Annotated[str, AfterValidator(known_time_zone)] | None = Field(
        None,
        max_length=64,
        description="The IANA time zone emails write dates and times in, e.g. `America/New_York`; "
        "null: the supplier's (Europe/Amsterdam). Left out of a change: stays as it is.",
        examples=["Europe/Amsterdam"],
    )


class PendingEmailChange(BaseModel):
    new_email: str
    expires_at: AwareDatetime


class Profile(BaseModel):
    email: str
    customer_number: str
    status: str
    preferences: Preferences
    pending_email_change: PendingEmailChange | None = Field(
        description="A requested new login address that waits for confirmation."
    )


def _stripped(value: str) -> str:
    return value.strip()


def _customer_number(value: str) -> str:
    return without_whitespace(value)


class AccessRequestBody(BaseModel):
    name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_stripped), Field(min_length=1)]
    customer_number: Annotated[
        str,
        Field(min_length=1, max_length=20, description="As printed on invoices; spaces do not matter."),
        AfterValidator(_customer_number),
        Field(min_length=1),
    ]
    email: EmailStr
    language: Language | None = Field(None, description="Defaults to the customer's language.")


class AccessRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    customer_number: str
    email: str
    language: str
    requested_at: AwareDatetime
    decision: Literal["approved", "refused"] | None
    reason: str | None
    decided_by: str | None
    decided_at: AwareDatetime | None
    account_id: str | None


class AccessRefusal(BaseModel):
    reason: AccessRefusalReason


class InvitationAcceptance(BaseModel):
    token: ActivationToken
    password: NewPassword
    stay_signed_in: bool = Field(
        False, description="Keep the session for days instead of hours (a trusted device)."
    )


class AccountForOperations(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    customer_number: str
    locked_until: AwareDatetime | None
    failed_logins: int


def _contract_number(value: str) -> str:
    return normalise_contract_number(value)


def _registration_code(value: str) -> str:
    return normalise_registration_code(value)


def _amount(value: object) -> Decimal:
    if not isinstance(value, str):  # a JSON number would arrive as a float: never for money
        raise ValueError('send the amount as a string, like "98,00" or "98.00"')
    return parse_amount(value)


ContractNumber = Annotated[
    str,
    Field(min_length=9, max_length=20, description="The 9-digit number on letters and invoices."),
    AfterValidator(_contract_number),
]
RegistrationCodeText = Annotated[
    str,
    Field(min_length=8, max_length=20, description="The registration letter's 8 characters; case matters."),
    AfterValidator(_registration_code),
]
InvoiceAmount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema({"type": "string", "examples": ["98,00", "98.00"]}),
]


class ContractCodeRegistration(BaseModel):
    contract_number: ContractNumber
    registration_code: RegistrationCodeText
    email: EmailStr
    password: NewPassword = Field(
        description="For a new account: its password (the password rules apply). For an address "
        "that already has an account: that account's password."
    )
    language: Language | None = Field(None, description="Defaults to the customer's language.")


class InvoiceRegistration(BaseModel):
    contract_number: ContractNumber
    invoice_number: str = Field(min_length=1, max_length=40, description="Of the contract's latest invoice.")
    amount: InvoiceAmount = Field(description='Its total including VAT in euro: "98,00" or "98.00".')
    email: EmailStr
    password: NewPassword = Field(
        description="For a new account: its password (the password rules apply). For an address "
        "that already has an account: that account's password."
    )
    language: Language | None = Field(None, description="Defaults to the customer's language.")


class ContractOut(BaseModel):
    contract_number: str | None = Field(description="None only for contracts from before numbers existed.")
    contract_id: str
    customer_number: str = Field(description="The contract's customer.")
    role: str = Field(description="`holder` or `co_holder`.")
    via: str = Field(
        description="How the account reaches it: `customer_number` (its own), `contract_code`, "
        "`invoice`, `merge` or `operations`."
    )
    linked_at: datetime


class AddContract(BaseModel):
    contract_number: ContractNumber
    registration_code: RegistrationCodeText


class AccountMergeBody(BaseModel):
    keep_account_id: str = Field(min_length=1, max_length=36)
    merge_account_id: str = Field(min_length=1, max_length=36, description="Closed by the merge.")


class AccountMergeOut(BaseModel):
    kept_account_id: str
    merged_account_id: str
    contracts: list[ContractOut] = Field(description="The contracts the kept account gained.")


class ContractLinkBody(BaseModel):
    account_id: str = Field(min_length=1, max_length=36)
    contract_number: ContractNumber
    role: ContractRole
