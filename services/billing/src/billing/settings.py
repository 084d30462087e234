"""Billing's configuration: the chassis settings plus payment terms and the placeholder tariff."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from billing.domain.settlement import PlaceholderTariff
from portal_chassis.settings import ServiceSettings
from portal_schemas.billing import BillingMode


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "billing"

    # An invoice is due this many calendar days (Europe/Amsterdam) after its issue date.
    payment_term_days: int = Field(14, ge=1, le=60)

    # How a new contract is billed until the customer picks another mode.
    default_billing_mode: BillingMode = "monthly_advance"

    # PLACEHOLDER TARIFF, euro per unit excluding VAT, one price per energy unit. The contracts
    # service does not publish prices yet; a later issue takes each contract's tariffs from its
    # events (product, fixed/variable prices, standing charges) and these settings go away.
    placeholder_price_per_kwh: Decimal = Field(Decimal("0.30"), ge=0, decimal_places=6)
    placeholder_price_per_m3: Decimal = Field(Decimal("1.40"), ge=0, decimal_places=6)
    placeholder_price_per_gj: Decimal = Field(Decimal("50.00"), ge=0, decimal_places=6)
    supply_vat_rate: Decimal = Field(Decimal("0.21"), ge=0, lt=1, decimal_places=4)

    # The product conditions add VAT to the termination fee. ContractTerminated now carries the
    # fee before VAT and its rate; this rate is only for events written before it did, which
    # carry just the total incl. VAT: the amount before VAT is worked back from it at this rate
    # (see billing.domain.settlement.termination_fee_of).
    termination_fee_vat_rate: Decimal = Field(Decimal("0.21"), ge=0, lt=1, decimal_places=4)

    @property
    def placeholder_tariff(self) -> PlaceholderTariff:
        return PlaceholderTariff(
            price_per_unit={
                "kWh": self.placeholder_price_per_kwh,
                "m3": self.placeholder_price_per_m3,
                "GJ": self.placeholder_price_per_gj,
            },
            vat_rate=self.supply_vat_rate,
        )
