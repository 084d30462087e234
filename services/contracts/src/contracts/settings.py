"""Contracts' configuration: the chassis settings plus the inputs of the termination fee.

The fee formula needs, per contract, the expected remaining consumption and the gap between
the contract's unit price and today's price of the same kind of contract. Neither the
connection register (expected annual volume) nor the product catalogue (prices) exists in
this service yet, so the values below are stand-ins, one set per commodity, overridable per
environment (e.g. ``CONTRACTS_FEE_ELECTRICITY_PRICE_GAP_EUR_PER_KWH=0.04``). They are
placeholders for a walking skeleton, not market data.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from portal_chassis.settings import ServiceSettings
from portal_profiles import (
    ELECTRICITY_PROFILE,
    GAS_PROFILE,
    BdewH0,
    DailyProfile,
    MonthlyProfile,
    MonthlyTable,
    check_profile,
)

DEFAULT_CATALOGUE = Path(__file__).resolve().parents[2] / "catalogue" / "default.toml"


class ContractsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONTRACTS_", extra="ignore", validate_by_name=True)
    service_name: ClassVar[str] = "contracts"

    # Calendar days after the contract was concluded in which the customer may withdraw;
    # a termination asked for within them costs nothing.
    withdrawal_days: int = Field(14, ge=0, le=60)
    # A portal request is confirmed only while supply starts at least this many days after the
    # confirmation: the withdrawal period ends before supply starts and the switch can still be
    # registered with the grid operator; otherwise it is refused.
    confirmation_lead_days: int = Field(15, ge=0, le=60)
    vat_rate: Decimal = Field(Decimal("0.21"), ge=0, le=1)
    # Loaded at start when the catalogue is empty (null: never); `import-catalogue` loads others.
    catalogue_file: Path | None = DEFAULT_CATALOGUE

    # Placeholder: expected annual consumption of one connection (kWh, m3).
    fee_electricity_annual_kwh: Decimal = Field(Decimal("2500"), ge=0)
    fee_gas_annual_m3: Decimal = Field(Decimal("1200"), ge=0)
    # Placeholder: contract unit price minus today's unit price of the same kind of
    # contract, euro per unit excluding VAT. Zero or negative means no fee.
    fee_electricity_price_gap_eur_per_kwh: Decimal = Decimal("0.05")
    fee_gas_price_gap_eur_per_m3: Decimal = Decimal("0.20")
    # "bdew_h0": the BDEW H0 household profile per day of the actual year; "monthly": the
    # fee_electricity_profile table below.
    fee_electricity_profile_source: Literal["bdew_h0", "monthly"] = "bdew_h0"
    # Share of the annual volume per month, January first (JSON list in the environment).
    fee_electricity_profile: MonthlyProfile = ELECTRICITY_PROFILE
    fee_gas_profile: MonthlyProfile = GAS_PROFILE

    @field_validator("fee_electricity_profile", "fee_gas_profile")
    @classmethod
    def _twelve_shares(cls, value: MonthlyProfile) -> MonthlyProfile:
        check_profile(value)
        return value

    def fee_profile(self, commodity: str) -> DailyProfile:
        if commodity == "gas":
            return MonthlyTable(self.fee_gas_profile)
        if self.fee_electricity_profile_source == "monthly":
            return MonthlyTable(self.fee_electricity_profile)
        return BdewH0()

    # Renewal proposals go out this many days before a fixed term ends (propose-renewals).
    renewal_notice_days: int = Field(60, ge=1, le=366)
    # Notice a customer gives to end an indefinite (variable) contract; free of charge.
    indefinite_notice_days: int = Field(30, ge=0, le=90)
    # A unilateral change of prices or conditions is announced at least this many days ahead.
    unilateral_change_notice_days: int = Field(30, ge=30, le=366)
    # The variable product a fixed term rolls into; empty: the contract keeps its product code.
    variable_product_electricity: str = ""
    variable_product_gas: str = ""
