"""What the termination fee formula needs from the database: the contract's unit prices and
expected volumes per register, and today's prices of the catalogue (as a TariffLookup).

The contract's terms are those in force on the last day of supply (use_cases/terms_history.py):
a tariff switch, an accepted renewal or a rollover into an indefinite contract changes the
product and the price guarantee the fee compares. Prices come from the product catalogue: the
contract's own price is its product's price for the register in the period covering the first
day of that fixed term. Where the
catalogue does not price the contract's product (contracts created before the catalogue, or
with codes it does not know), the configured price gap stands in (settings.py), as does the
configured annual volume where no expected consumption is recorded for the contract.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from contracts.db.repositories import Catalogue, Terms
from contracts.db.tables import Contract, Product, TariffPeriod
from contracts.domain.start_date import add_months
from contracts.domain.termination_fee import FeeTerms, Register, RegisterTerms, TariffLookup
from contracts.settings import ContractsSettings
from contracts.use_cases.tariffs import covers
from contracts.use_cases.terms_history import FixedTerm, fixed_term_on, histories
from portal_chassis.uow import UnitOfWork

# The catalogue's register names (portal_schemas.contracts.TariffRegister).
CATALOGUE_REGISTER: dict[Register, str] = {
    Register.SINGLE: "electricity_single",
    Register.NORMAL: "electricity_normal",
    Register.OFF_PEAK: "electricity_offpeak",
    Register.GAS: "gas",
}
FEE_REGISTER: dict[str, Register] = {name: reg for reg, name in CATALOGUE_REGISTER.items()}


@dataclass(frozen=True)
class OfferedPrice:
    kind: str
    term_months: int | None
    commodity: str
    register: Register
    unit_price: Decimal
    valid_from: date
    valid_to: date | None

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)


@dataclass(frozen=True)
class OfferedTariffs:
    """The unit prices of the products on sale, in memory (implements TariffLookup)."""

    prices: tuple[OfferedPrice, ...]

    def current_unit_price(
        self,
        *,
        commodity: str,
        kind: str | None,
        duration_months: int | None,
        register: Register,
        on: date,
    ) -> Decimal | None:
        found = [
            p.unit_price
            for p in self.prices
            if p.commodity == commodity
            and p.register == register
            and p.covers(on)
            and (kind is None or p.kind == kind)
            and (duration_months is None or p.term_months == duration_months)
        ]
        return max(found) if found else None


@dataclass(frozen=True)
class GapTariffs:
    """Stand-in when the catalogue does not price the contract: every offered contract costs
    the contract's price minus the configured gap (only the difference enters the fee)."""

    gap: Decimal

    def current_unit_price(
        self,
        *,
        commodity: str,
        kind: str | None,
        duration_months: int | None,
        register: Register,
        on: date,
    ) -> Decimal | None:
        return -self.gap  # the contract's stand-in price is zero


def term_start(contract: Contract) -> date:
    """First day of the current fixed term (a renewed contract's term starts after the old one)."""
    months = term_months(contract)
    if contract.fixed_term_end is None or months is None:
        return contract.start_date
    return max(contract.start_date, add_months(contract.fixed_term_end + timedelta(days=1), -months))


def term_months(contract: Contract) -> int | None:
    """The fixed term's length in months: stored, or counted from the start to the term end."""
    if contract.fixed_term_end is None:
        return None
    if contract.term_months is not None:
        return contract.term_months
    end = contract.fixed_term_end + timedelta(days=1)
    return (end.year - contract.start_date.year) * 12 + end.month - contract.start_date.month


async def term_in_force(uow: UnitOfWork, contract: Contract, on: date) -> FixedTerm:
    """The product and fixed term in force on ``on``."""
    return fixed_term_on((await histories(uow, [contract]))[contract.id], on)


async def fee_inputs(
    uow: UnitOfWork, settings: ContractsSettings, contract: Contract, *, on: date
) -> tuple[FeeTerms, TariffLookup]:
    """What the fee formula needs for a contract whose last day of supply is ``on``."""
    term = await term_in_force(uow, contract, on)
    if term.initial:  # the contract's own columns also know a term renewed before terms rows
        first_day, months = term_start(contract), term_months(contract)
    else:
        first_day, months = term.first_day, term.months
    catalogue = Catalogue(uow.session)
    products = {p.code: p for p in await catalogue.products()}
    own = products.get(term.terms.product_code)
    periods = await catalogue.periods(list(products)) if products else []
    volumes = (await Terms(uow.session).consumption([contract.id])).get(contract.id, {})

    own_prices = _own_prices(own, periods, contract.commodity, first_day)
    registers: list[RegisterTerms] = []
    lookup: TariffLookup
    if own_prices:
        lookup = OfferedTariffs(_offered(products, periods))
        if not volumes:
            # No recorded consumption: the configured volume on the single (or gas) register.
            single = "gas" if contract.commodity == "gas" else "electricity_single"
            volumes = {single: _configured_volume(settings, contract.commodity)}
        for name, price in sorted(own_prices.items()):
            if name in volumes:
                registers.append(RegisterTerms(FEE_REGISTER[name], price, volumes[name]))
    elif contract.commodity in ("electricity", "gas"):
        gap = (
            settings.fee_gas_price_gap_eur_per_m3
            if contract.commodity == "gas"
            else settings.fee_electricity_price_gap_eur_per_kwh
        )
        lookup = GapTariffs(gap)
        register = Register.GAS if contract.commodity == "gas" else Register.SINGLE
        volume = volumes.get(CATALOGUE_REGISTER[register], _configured_volume(settings, contract.commodity))
        registers.append(RegisterTerms(register, Decimal(0), volume))
    else:
        lookup = OfferedTariffs(())
    terms = FeeTerms(
        commodity=contract.commodity,
        fixed_term_end=term.terms.fixed_term_end,
        concluded_on=contract.concluded_on,
        duration_months=months,
        registers=tuple(registers),
        free_termination_before=contract.free_termination_before,
    )
    return terms, lookup


def _configured_volume(settings: ContractsSettings, commodity: str) -> Decimal:
    return settings.fee_gas_annual_m3 if commodity == "gas" else settings.fee_electricity_annual_kwh


def _own_prices(
    product: Product | None,
    periods: list[tuple[TariffPeriod, dict[str, Decimal]]],
    commodity: str,
    on: date,
) -> dict[str, Decimal]:
    if product is None:
        return {}
    for period, prices in periods:
        if period.product_code == product.code and period.commodity == commodity and covers(period, on):
            return {name: price for name, price in prices.items() if name in FEE_REGISTER}
    return {}


def _offered(
    products: dict[str, Product], periods: list[tuple[TariffPeriod, dict[str, Decimal]]]
) -> tuple[OfferedPrice, ...]:
    offered: list[OfferedPrice] = []
    for period, prices in periods:
        product = products[period.product_code]
        if not product.on_sale:
            continue
        for name, price in prices.items():
            if name in FEE_REGISTER:
                offered.append(
                    OfferedPrice(
                        product.kind,
                        product.term_months,
                        period.commodity,
                        FEE_REGISTER[name],
                        price,
                        period.valid_from,
                        period.valid_to,
                    )
                )
    return tuple(offered)
