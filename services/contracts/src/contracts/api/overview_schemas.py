"""Request and response bodies of the catalogue, the contract overview, options and tariff
switches (unit prices keep 6 decimals and travel as strings)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from contracts.db.tables import Product
from contracts.domain.catalogue import REGISTERS, UNITS, Tariff
from contracts.domain.terms import Terms
from contracts.use_cases.overview import Overview
from portal_schemas.contracts import Commodity, GasSource, ProductKind, UnitPrice

MeterLocation = Literal["indoors", "outdoors", "unknown"]


class RegisterPriceOut(BaseModel):
    register_type: str = Field(
        description="electricity_single, electricity_normal, electricity_offpeak, gas, heat, hot_water"
    )
    unit: str = Field(description="kWh, m3 or GJ")
    unit_price_excl_vat: UnitPrice | None
    unit_price_incl_vat: UnitPrice | None
    expected_annual_volume: Decimal | None = Field(description="In the register's unit; null when not known.")


class OptionsOut(BaseModel):
    green_electricity: bool
    e_invoice: bool
    self_reading: bool
    gas_source: GasSource | None

    @classmethod
    def of(cls, terms: Terms) -> OptionsOut:
        return cls(
            green_electricity=terms.green_electricity,
            e_invoice=terms.e_invoice,
            self_reading=terms.self_reading,
            gas_source=terms.gas_source,
        )


class TermsOut(BaseModel):
    effective_from: date
    product_code: str
    price_guarantee_end: date | None
    options: OptionsOut

    @classmethod
    def of(cls, terms: Terms) -> TermsOut:
        return cls(
            effective_from=terms.effective_from,
            product_code=terms.product_code,
            price_guarantee_end=terms.fixed_term_end,
            options=OptionsOut.of(terms),
        )


class OverviewOut(BaseModel):
    """Prices are today's; null where the catalogue does not price the product."""

    product_name: str | None
    price_guarantee_end: date | None = Field(description="Last day prices are fixed; null: variable prices.")
    vat_rate: Decimal | None
    prices: list[RegisterPriceOut]
    fixed_costs_per_day_incl_vat: UnitPrice | None
    feed_in_compensation_per_kwh_incl_vat: UnitPrice | None
    options: OptionsOut
    planned_changes: list[TermsOut] = Field(description="Changes taking effect on a later day.")

    @classmethod
    def of(cls, overview: Overview) -> OverviewOut:
        tariff = overview.tariff
        feed_in = None if tariff is None else tariff.feed_in_compensation_per_kwh
        return cls(
            product_name=overview.product_name,
            price_guarantee_end=overview.terms.fixed_term_end,
            vat_rate=None if tariff is None else tariff.vat_rate,
            prices=[RegisterPriceOut(**vars(line)) for line in overview.registers],
            fixed_costs_per_day_incl_vat=None
            if tariff is None
            else tariff.incl_vat(tariff.fixed_costs_per_day),
            feed_in_compensation_per_kwh_incl_vat=None
            if tariff is None or feed_in is None
            else tariff.incl_vat(feed_in),
            options=OptionsOut.of(overview.terms),
            planned_changes=[TermsOut.of(t) for t in overview.planned],
        )


class PriceOut(BaseModel):
    register_type: str
    unit: str
    excl_vat: UnitPrice
    incl_vat: UnitPrice


class ProductTariffOut(BaseModel):
    commodity: Commodity
    valid_from: date
    valid_to: date | None
    vat_rate: Decimal
    unit_prices: list[PriceOut]
    fixed_costs_per_day_excl_vat: UnitPrice
    fixed_costs_per_day_incl_vat: UnitPrice
    feed_in_compensation_per_kwh_excl_vat: UnitPrice | None
    feed_in_costs_per_kwh_excl_vat: UnitPrice | None

    @classmethod
    def of(cls, tariff: Tariff) -> ProductTariffOut:
        return cls(
            commodity=tariff.commodity,
            valid_from=tariff.valid_from,
            valid_to=tariff.valid_to,
            vat_rate=tariff.vat_rate,
            unit_prices=[
                PriceOut(register_type=r, unit=UNITS[r], excl_vat=p, incl_vat=tariff.incl_vat(p))
                for r in REGISTERS[tariff.commodity]
                if (p := tariff.unit_prices.get(r)) is not None
            ],
            fixed_costs_per_day_excl_vat=tariff.fixed_costs_per_day,
            fixed_costs_per_day_incl_vat=tariff.incl_vat(tariff.fixed_costs_per_day),
            feed_in_compensation_per_kwh_excl_vat=tariff.feed_in_compensation_per_kwh,
            feed_in_costs_per_kwh_excl_vat=tariff.feed_in_costs_per_kwh,
        )


class ProductOut(BaseModel):
    code: str
    name: str
    kind: ProductKind = Field(description="fixed: prices fixed for term_months; variable: indefinite.")
    term_months: int | None
    commodities: list[Commodity]
    gas_sources: list[GasSource]
    current_tariffs: list[ProductTariffOut] = Field(description="Today's prices per commodity.")

    @classmethod
    def of(cls, product: Product, tariffs: list[Tariff]) -> ProductOut:
        return cls(
            code=product.code,
            name=product.name,
            kind=product.kind,
            term_months=product.term_months,
            commodities=product.commodities,
            gas_sources=product.gas_sources,
            current_tariffs=[ProductTariffOut.of(t) for t in tariffs],
        )


class OptionsChange(BaseModel):
    """Only the options given change; the others stay as they are."""

    model_config = ConfigDict(extra="forbid")

    green_electricity: bool | None = None
    e_invoice: bool | None = None
    self_reading: bool | None = None
    gas_source: GasSource | None = None
    effective_date: date | None = Field(None, description="Today when left out; never in the past.")


class TariffSwitchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_code: str = Field(min_length=1, max_length=50)
    effective_date: date = Field(description="First day on the new product; today or later.")
