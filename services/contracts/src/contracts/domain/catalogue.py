"""The product catalogue: products and their tariff periods, read from a TOML file (pure).

File format (catalogue/default.toml is the shipped example)::

    [[product]]
    code = "VAST-3JR"                 # 1 to 50 characters, unique
    name = "Vast 3 jaar"
    kind = "fixed"                    # or "variable" (indefinite, prices may change)
    term_months = 36                  # fixed only
    commodities = ["electricity", "gas"]
    gas_sources = ["grey", "green"]   # offered gas sources; only with gas
    on_sale = true                    # false: kept for existing contracts, not offered

    [[product.tariff]]
    commodity = "electricity"
    valid_from = 2026-01-01           # first day
    valid_to = 2027-01-01             # first day no longer covered; leave out: open-ended
    vat_rate = "0.21"
    fixed_costs_per_day = "0.2066"    # euro per day excl. VAT
    feed_in_compensation_per_kwh = "0.0400"   # electricity only, optional
    feed_in_costs_per_kwh = "0.0115"          # electricity only, optional
    unit_prices = { electricity_normal = "0.2550", electricity_offpeak = "0.2300" }

Money is written as strings ("0.2450"), never TOML floats, so no price is ever rounded by a
float. Periods of one product and commodity never overlap.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from contracts.domain.errors import DomainError
from portal_schemas.contracts import Commodity, GasSource, ProductKind, TariffRegister

REGISTERS: dict[str, tuple[TariffRegister, ...]] = {
    "electricity": ("electricity_single", "electricity_normal", "electricity_offpeak"),
    "gas": ("gas",),
    "heat": ("heat", "hot_water"),
}
UNITS: dict[str, str] = {
    "electricity_single": "kWh",
    "electricity_normal": "kWh",
    "electricity_offpeak": "kWh",
    "gas": "m3",
    "heat": "GJ",
    "hot_water": "m3",
}


class InvalidCatalogue(DomainError):
    status = 422
    slug = "invalid-catalogue"


def _money_text(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError('write amounts as strings, e.g. "0.2450", so no float rounds them')
    return value


Price = Annotated[Decimal, BeforeValidator(_money_text), Field(ge=0, max_digits=14, decimal_places=6)]


class TariffEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    commodity: Commodity
    valid_from: date
    valid_to: date | None = None
    vat_rate: Annotated[Decimal, BeforeValidator(_money_text), Field(ge=0, le=1, decimal_places=4)]
    fixed_costs_per_day: Price
    feed_in_compensation_per_kwh: Price | None = None
    feed_in_costs_per_kwh: Price | None = None
    unit_prices: dict[TariffRegister, Price]

    @model_validator(mode="after")
    def _consistent(self) -> TariffEntry:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError("valid_to must be after valid_from")
        if not self.unit_prices:
            raise ValueError("a tariff needs at least one unit price")
        foreign = sorted(set(self.unit_prices) - set(REGISTERS[self.commodity]))
        if foreign:
            raise ValueError(f"{', '.join(foreign)} is not a register of {self.commodity}")
        feed_in = (self.feed_in_compensation_per_kwh, self.feed_in_costs_per_kwh)
        if self.commodity != "electricity" and any(v is not None for v in feed_in):
            raise ValueError("feed-in prices exist for electricity only")
        return self

    def overlaps(self, other: TariffEntry) -> bool:
        far = date.max
        return self.valid_from < (other.valid_to or far) and other.valid_from < (self.valid_to or far)


class ProductEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=100)
    kind: ProductKind
    term_months: int | None = Field(default=None, ge=1, le=120)
    commodities: list[Commodity] = Field(min_length=1)
    gas_sources: list[GasSource] = Field(default_factory=list)
    on_sale: bool = True
    tariff: list[TariffEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ProductEntry:
        if (self.kind == "fixed") != (self.term_months is not None):
            raise ValueError("a fixed product has term_months, a variable one has none")
        if len(set(self.commodities)) != len(self.commodities):
            raise ValueError("a commodity is listed twice")
        if self.gas_sources and "gas" not in self.commodities:
            raise ValueError("gas_sources only for a product that supplies gas")
        for entry in self.tariff:
            if entry.commodity not in self.commodities:
                raise ValueError(f"a tariff for {entry.commodity}, which the product does not supply")
        check_no_overlap(self.code, self.tariff)
        return self


class CatalogueFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    product: list[ProductEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> CatalogueFile:
        codes = [p.code for p in self.product]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"product code(s) listed twice: {', '.join(twice)}")
        return self


def check_no_overlap(product_code: str, periods: Iterable[TariffEntry]) -> None:
    """Raises ValueError when two periods of one commodity overlap."""
    by_commodity: dict[str, list[TariffEntry]] = {}
    for period in periods:
        by_commodity.setdefault(period.commodity, []).append(period)
    for commodity, entries in by_commodity.items():
        ordered = sorted(entries, key=lambda e: e.valid_from)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.overlaps(later):
                raise ValueError(
                    f"{product_code} {commodity}: the period from {later.valid_from} overlaps "
                    f"the one from {earlier.valid_from}"
                )


def parse_catalogue(text: str) -> CatalogueFile:
    """The catalogue in a TOML text; InvalidCatalogue says what is wrong and where."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidCatalogue(f"The catalogue is not valid TOML: {exc}") from None
    try:
        return CatalogueFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'file'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidCatalogue(f"The catalogue is not valid: {problems}") from None


def merged_periods(
    product_code: str, stored: Iterable[TariffEntry], incoming: Iterable[TariffEntry]
) -> list[TariffEntry]:
    """The periods after an import: an incoming period replaces the stored one of the same
    commodity and first day (so a file can close an open-ended period), others are added.
    Refuses (InvalidCatalogue) when the result would overlap."""
    merged = {(p.commodity, p.valid_from): p for p in stored}
    merged.update({(p.commodity, p.valid_from): p for p in incoming})
    result = sorted(merged.values(), key=lambda p: (p.commodity, p.valid_from))
    try:
        check_no_overlap(product_code, result)
    except ValueError as exc:
        raise InvalidCatalogue(f"{exc} (stored tariffs included)") from None
    return result


@dataclass(frozen=True)
class Tariff:
    """The prices of one commodity on one day, excl. VAT; see contracts.use_cases.tariffs."""

    product_code: str
    commodity: str
    valid_from: date
    valid_to: date | None
    vat_rate: Decimal
    unit_prices: dict[str, Decimal]
    fixed_costs_per_day: Decimal
    feed_in_compensation_per_kwh: Decimal | None
    feed_in_costs_per_kwh: Decimal | None

    def incl_vat(self, amount: Decimal) -> Decimal:
        """An amount with VAT, to 6 decimals (prices, not invoice lines: no rounding to cents)."""
        return (amount * (1 + self.vat_rate)).quantize(Decimal("0.000001"))
