"""Price look-ups in the catalogue (read-only): what a product costs on a day, and today's
tariff of the same kind of contract (which the termination fee compares with).

All prices are euro excluding VAT; ``Tariff.vat_rate`` and ``Tariff.incl_vat`` give the rest.
A period covers valid_from <= day < valid_to, so on a boundary day the new period applies.

    tariff = await tariff_on(uow, product_code="VAST-3JR", commodity="electricity", on=day)
    price = await unit_price(uow, product_code="VAST-3JR", register="electricity_single", on=day)
    today = await same_kind_tariff(uow, product_code="VAST-3JR", commodity="gas", on=day)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from contracts.db.repositories import Catalogue
from contracts.db.tables import Product, TariffPeriod
from contracts.domain.catalogue import REGISTERS, Tariff
from portal_chassis.uow import UnitOfWork


def _tariff(period: TariffPeriod, prices: dict[str, Decimal]) -> Tariff:
    return Tariff(
        product_code=period.product_code,
        commodity=period.commodity,
        valid_from=period.valid_from,
        valid_to=period.valid_to,
        vat_rate=period.vat_rate.normalize(),  # 0.21, not the column's 0.2100
        unit_prices=dict(prices),
        fixed_costs_per_day=period.fixed_costs_per_day,
        feed_in_compensation_per_kwh=period.feed_in_compensation_per_kwh,
        feed_in_costs_per_kwh=period.feed_in_costs_per_kwh,
    )


def covers(period: TariffPeriod, on: date) -> bool:
    """Whether the period prices ``on`` (valid_from <= on < valid_to)."""
    return period.valid_from <= on and (period.valid_to is None or on < period.valid_to)


async def tariffs_on(uow: UnitOfWork, product_codes: list[str], on: date) -> dict[tuple[str, str], Tariff]:
    """The tariff in force on ``on`` per (product code, commodity), for several products at once."""
    found: dict[tuple[str, str], Tariff] = {}
    for period, prices in await Catalogue(uow.session).periods(product_codes):
        if covers(period, on):
            found[(period.product_code, period.commodity)] = _tariff(period, prices)
    return found


async def tariff_on(uow: UnitOfWork, *, product_code: str, commodity: str, on: date) -> Tariff | None:
    """The product's prices for one commodity on a day; None if it has none then."""
    return (await tariffs_on(uow, [product_code], on)).get((product_code, commodity))


async def unit_price(uow: UnitOfWork, *, product_code: str, register: str, on: date) -> Decimal | None:
    """Euro per kWh, m3 or GJ excl. VAT of one register on a day; None if not priced."""
    commodity = next((c for c, registers in REGISTERS.items() if register in registers), None)
    if commodity is None:
        return None
    tariff = await tariff_on(uow, product_code=product_code, commodity=commodity, on=on)
    return None if tariff is None else tariff.unit_prices.get(register)


async def same_kind_tariff(uow: UnitOfWork, *, product_code: str, commodity: str, on: date) -> Tariff | None:
    """Today's tariff of the same type of contract as ``product_code``: a product on sale for
    the same commodity, of the same kind (fixed or variable) and fixed term length, priced on
    ``on``. The product itself counts when it is still on sale; among several, the first by
    code. None when the product is unknown or no such product is priced on that day."""
    catalogue = Catalogue(uow.session)
    product = await catalogue.product(product_code)
    if product is None:
        return None
    return await tariff_of_kind(
        uow, commodity=commodity, kind=product.kind, term_months=product.term_months, on=on
    )


async def tariff_of_kind(
    uow: UnitOfWork, *, commodity: str, kind: str, term_months: int | None, on: date
) -> Tariff | None:
    """Like :func:`same_kind_tariff`, given the kind ("fixed" or "variable") and term directly."""
    candidates: list[Product] = [
        p
        for p in await Catalogue(uow.session).products(on_sale_only=True)
        if commodity in p.commodities and p.kind == kind and p.term_months == term_months
    ]
    found = await tariffs_on(uow, [p.code for p in candidates], on)
    for product in candidates:  # ordered by code
        tariff = found.get((product.code, commodity))
        if tariff is not None:
            return tariff
    return None
