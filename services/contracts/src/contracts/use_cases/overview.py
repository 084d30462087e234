"""The contract overview: what a customer sees next to each contract — today's prices per
register with VAT, fixed costs per day, expected annual consumption, the price guarantee,
options in force and changes planned for later days."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from contracts.db.repositories import Catalogue
from contracts.db.repositories import Terms as TermsRepo
from contracts.db.tables import Contract
from contracts.domain.catalogue import REGISTERS, UNITS, Tariff
from contracts.domain.terms import Terms, in_force
from contracts.use_cases.tariffs import tariffs_on
from contracts.use_cases.terms_history import histories
from portal_chassis.uow import UnitOfWork


@dataclass(frozen=True)
class RegisterLine:
    register_type: str
    unit: str
    unit_price_excl_vat: Decimal | None
    unit_price_incl_vat: Decimal | None
    expected_annual_volume: Decimal | None


@dataclass(frozen=True)
class Overview:
    terms: Terms
    product_name: str | None
    tariff: Tariff | None
    registers: list[RegisterLine]
    planned: list[Terms] = field(default_factory=list)


async def overviews(uow: UnitOfWork, contracts: Sequence[Contract], today: date) -> dict[str, Overview]:
    history = await histories(uow, contracts)
    consumption = await TermsRepo(uow.session).consumption([c.id for c in contracts])
    current = {c.id: in_force(history[c.id], today) or history[c.id][0] for c in contracts}
    codes = sorted({t.product_code for t in current.values()})
    tariffs = await tariffs_on(uow, codes, today)
    names = {p.code: p.name for p in await Catalogue(uow.session).products() if p.code in codes}

    result: dict[str, Overview] = {}
    for contract in contracts:
        terms = current[contract.id]
        tariff = tariffs.get((terms.product_code, contract.commodity))
        volumes = consumption[contract.id]
        priced = tariff.unit_prices if tariff is not None else {}
        shown = [r for r in REGISTERS[contract.commodity] if r in volumes or r in priced]
        lines = [
            RegisterLine(
                register_type=r,
                unit=UNITS[r],
                unit_price_excl_vat=priced.get(r),
                unit_price_incl_vat=None if tariff is None or r not in priced else tariff.incl_vat(priced[r]),
                expected_annual_volume=volumes.get(r),
            )
            for r in shown
        ]
        planned = [t for t in history[contract.id] if t.effective_from > today]
        result[contract.id] = Overview(terms, names.get(terms.product_code), tariff, lines, planned)
    return result
