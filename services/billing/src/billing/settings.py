"""Billing's configuration: the chassis settings plus payment terms, settlements, advances,
payments, dunning and documents."""

from __future__ import annotations

import itertools
from decimal import Decimal
from typing import ClassVar

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from billing.domain.direct_debit import check_bic, check_creditor_id, check_iban
from portal_chassis.settings import ServiceSettings
from portal_schemas.billing import BillingMode


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "billing"

    # An invoice is due this many calendar days (Europe/Amsterdam) after its issue date.
    payment_term_days: int = Field(14, ge=1, le=60)

    # How a new contract is billed until the customer picks another mode.
    default_billing_mode: BillingMode = "monthly_advance"

    # The product conditions add VAT to the termination fee. ContractTerminated now carries the
    # fee before VAT and its rate; this rate is only for events written before it did, which
    # carry just the total incl. VAT: the amount before VAT is worked back from it at this rate
    # (see billing.domain.settlement.termination_fee_of).
    termination_fee_vat_rate: Decimal = Field(Decimal("0.21"), ge=0, lt=1, decimal_places=4)

    # SETTLEMENTS (billing.domain.settlement). A final settlement waits this many days after the
    # contract's end date for the final reading; then the settle-due-finals job issues it with
    # an estimated index (a real reading arriving later corrects it with a credit note).
    final_reading_wait_days: int = Field(10, ge=0, le=90)

    # MONTHLY ADVANCES (billing.domain.advances). A customer chooses an advance between these
    # percentages of the recommended one; without a recommendation (no tariff or no expected
    # consumption known), between the absolute bounds. Operations may set any amount from 0
    # (no advance invoices) up to the absolute maximum.
    advance_min_percent: Decimal = Field(Decimal(50), ge=0, le=100)
    advance_max_percent: Decimal = Field(Decimal(300), ge=100, le=1000)
    advance_absolute_min: Decimal = Field(Decimal("5.00"), ge=0, decimal_places=2)
    advance_absolute_max: Decimal = Field(Decimal("2000.00"), gt=0, max_digits=8, decimal_places=2)
    # Contracts per transaction of the monthly advance run: each batch commits its invoices, so
    # a run that is stopped keeps what it issued and the next run does the rest.
    advance_run_batch_size: int = Field(5000, ge=1, le=50_000)

    # CARD PAYMENTS through a payment provider's hosted page (billing.payment_provider). The
    # provider's API, where it sends the customer back, and the secret its webhooks are signed
    # with (HMAC-SHA256; no secret: every webhook is refused). The local provider simulator
    # (python -m billing provider-simulator) reads the same settings, and payment_webhook_url
    # to know where to send its webhooks. The stack generates the secret; never commit one.
    payment_provider_url: str = "http://127.0.0.1:8190"
    payment_provider_timeout_seconds: float = Field(10.0, gt=0, le=60)
    payment_return_url: str = "http://127.0.0.1:8080/payments/return"
    payment_webhook_url: str = "http://127.0.0.1:8080/billing/v1/payment-provider/webhook"
    payment_webhook_secret: SecretStr = SecretStr("")
    # A signed webhook older (or newer) than this is refused: a captured one cannot be replayed later.
    payment_webhook_tolerance_seconds: int = Field(300, ge=1, le=3600)

    # DUNNING: a reminder step this many days after the due date, in order (step 1 at the first
    # number, ...); each reminder names a new pay-by date this many days after the day it is sent.
    reminder_days_after_due: tuple[int, ...] = (14, 28)
    reminder_pay_within_days: int = Field(7, ge=1, le=60)

    # SEPA DIRECT DEBIT: a collection run debits the open invoices due by the collection date,
    # which is today + debit_lead_days, moved on to the next TARGET2 business day. The creditor
    # (the supplier) as printed in every pain.008 file; not secret. The defaults are a demo
    # company: an example IBAN and a creditor identifier in the Dutch format (NL, check digits,
    # ZZZ, an 8-digit KvK number, 0000).
    debit_lead_days: int = Field(5, ge=1, le=30)
    creditor_name: str = Field("Portal Energie B.V.", min_length=1, max_length=70)
    creditor_iban: str = "NL91ABNA0417164300"
    creditor_bic: str = "ABNANL2A"
    creditor_id: str = "NL69ZZZ123456780000"

    # DOCUMENTS (invoice PDFs, e-invoices, proof of address: billing.domain.invoice_document).
    # The supplier as every invoice names it; not secret. The defaults are the same demo company
    # as the creditor above: an example address, VAT number (BTW-id) and Chamber of Commerce
    # (KvK) number, and the account that customers paying by transfer pay into.
    supplier_name: str = Field("Portal Energie B.V.", min_length=1, max_length=100)
    supplier_street: str = Field("Stationsplein 1", min_length=1, max_length=100)
    supplier_postcode: str = Field("3511 ED", min_length=1, max_length=10)
    supplier_city: str = Field("Utrecht", min_length=1, max_length=80)
    supplier_country: str = Field("NL", pattern=r"^[A-Z]{2}$")  # ISO 3166-1 alpha-2
    supplier_vat_number: str = Field("NL001234567B01", pattern=r"^[A-Z]{2}[0-9A-Z]{2,13}$")
    supplier_coc_number: str = Field("12345678", pattern=r"^[0-9]{8}$")
    supplier_iban: str = "NL91ABNA0417164300"
    supplier_bic: str = "ABNANL2A"
    # Invoices are kept this many years after their issue date; the purge-documents job then
    # removes them. Customers may download them for at least five years (002), and the tax
    # rules keep invoices seven: fewer than five is refused at start-up.
    document_retention_years: int = Field(7, ge=5, le=100)

    @field_validator("reminder_days_after_due")
    @classmethod
    def _steps_in_order(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or value[0] < 1 or any(b <= a for a, b in itertools.pairwise(value)):
            raise ValueError("reminder days must be at least 1 and increasing, e.g. [14, 28]")
        return value

    @field_validator("creditor_iban", "supplier_iban")
    @classmethod
    def _valid_iban(cls, value: str) -> str:
        return check_iban(value)

    @field_validator("creditor_bic", "supplier_bic")
    @classmethod
    def _valid_bic(cls, value: str) -> str:
        return check_bic(value)

    @field_validator("creditor_id")
    @classmethod
    def _valid_creditor_id(cls, value: str) -> str:
        return check_creditor_id(value)
