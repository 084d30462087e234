"""Importing the product catalogue and publishing it for billing.

An import is all or nothing: the whole file is checked (domain/catalogue.py), merged with the
stored tariffs, and written in one transaction. Products whose name, kind or tariffs change
are published again as TariffsPublished (compacted topic, keyed by product code); importing
the same file twice changes and publishes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from contracts.db.repositories import Catalogue
from contracts.db.tables import Product, TariffPeriod, TariffPrice
from contracts.domain.catalogue import (
    CatalogueFile,
    InvalidCatalogue,
    ProductEntry,
    TariffEntry,
    merged_periods,
    parse_catalogue,
)
from portal_chassis.logging import get_logger
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import TariffPeriodData, TariffsPublished

log = get_logger(__name__)


def read_catalogue(path: Path) -> CatalogueFile:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidCatalogue(f"The catalogue file cannot be read: {exc}") from None
    return parse_catalogue(text)


def entry_of(period: TariffPeriod, prices: dict[str, object]) -> TariffEntry:
    return TariffEntry.model_validate(
        {
            "commodity": period.commodity,
            "valid_from": period.valid_from,
            "valid_to": period.valid_to,
            "vat_rate": period.vat_rate,
            "fixed_costs_per_day": period.fixed_costs_per_day,
            "feed_in_compensation_per_kwh": period.feed_in_compensation_per_kwh,
            "feed_in_costs_per_kwh": period.feed_in_costs_per_kwh,
            "unit_prices": prices,
        }
    )


async def import_catalogue(uow: UnitOfWork, catalogue: CatalogueFile) -> list[str]:
    """Store the catalogue's products and tariffs; returns the codes of the products changed."""
    repo = Catalogue(uow.session)
    stored_periods: dict[str, list[TariffEntry]] = {}
    for row, prices in await repo.periods([p.code for p in catalogue.product]):
        stored_periods.setdefault(row.product_code, []).append(entry_of(row, dict(prices)))

    changed: list[str] = []
    for entry in catalogue.product:
        stored = await repo.product(entry.code)
        before = stored_periods.get(entry.code, [])
        periods = merged_periods(entry.code, before, entry.tariff)  # refuses overlaps
        # Contracts of a stored product keep their commodity: it cannot be taken away.
        if stored is not None and not set(stored.commodities) <= set(entry.commodities):
            raise InvalidCatalogue(f"{entry.code}: a commodity of the stored product is missing")
        facts = (
            entry.name,
            entry.kind,
            entry.term_months,
            entry.commodities,
            entry.gas_sources,
            entry.on_sale,
        )
        if stored is not None and periods == sorted(before, key=lambda p: (p.commodity, p.valid_from)):
            same = (
                stored.name,
                stored.kind,
                stored.term_months,
                stored.commodities,
                stored.gas_sources,
                stored.on_sale,
            )
            if same == facts:
                continue
        if stored is None:
            stored = Product(code=entry.code)
            repo.add(stored)
        stored.name, stored.kind, stored.term_months = entry.name, entry.kind, entry.term_months
        stored.commodities, stored.gas_sources = list(entry.commodities), list(entry.gas_sources)
        stored.on_sale = entry.on_sale
        await uow.session.flush()
        rows = [_period_row(entry.code, p) for p in periods]
        await repo.replace_periods(entry.code, rows)
        for period_row, period in zip(rows, periods, strict=True):
            for register, price in period.unit_prices.items():
                repo.add(TariffPrice(period_id=period_row.id, register=register, unit_price=price))
        uow.emit(_published(entry, periods), subject=entry.code)
        changed.append(entry.code)
    await uow.commit()
    log.info("catalogue imported", products=len(catalogue.product), changed=len(changed))
    return changed


async def load_default_if_empty(uow: UnitOfWork, path: Path) -> bool:
    """At service start: a database without products gets this catalogue (the shipped one)."""
    if not await Catalogue(uow.session).is_empty():
        return False
    await import_catalogue(uow, read_catalogue(path))
    return True


def _period_row(product_code: str, period: TariffEntry) -> TariffPeriod:
    return TariffPeriod(
        product_code=product_code,
        commodity=period.commodity,
        valid_from=period.valid_from,
        valid_to=period.valid_to,
        vat_rate=period.vat_rate,
        fixed_costs_per_day=period.fixed_costs_per_day,
        feed_in_compensation_per_kwh=period.feed_in_compensation_per_kwh,
        feed_in_costs_per_kwh=period.feed_in_costs_per_kwh,
    )


def _published(entry: ProductEntry, periods: Sequence[TariffEntry]) -> TariffsPublished:
    return TariffsPublished(
        product_code=entry.code,
        name=entry.name,
        kind=entry.kind,
        term_months=entry.term_months,
        commodities=list(entry.commodities),
        on_sale=entry.on_sale,
        gas_sources=list(entry.gas_sources),
        periods=[
            TariffPeriodData(
                commodity=p.commodity,
                valid_from=p.valid_from,
                valid_to=p.valid_to,
                vat_rate=p.vat_rate,
                unit_prices=dict(p.unit_prices),
                fixed_costs_per_day=p.fixed_costs_per_day,
                feed_in_compensation_per_kwh=p.feed_in_compensation_per_kwh,
                feed_in_costs_per_kwh=p.feed_in_costs_per_kwh,
            )
            for p in periods
        ],
    )
