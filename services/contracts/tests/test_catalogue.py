"""Importing the product catalogue: the default file, idempotence, refusals, start-up load."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from contracts.__main__ import main
from contracts.app import create_app
from contracts.db.tables import Base, Product, TariffPeriod, TariffPrice
from contracts.domain.catalogue import InvalidCatalogue, parse_catalogue
from contracts.settings import DEFAULT_CATALOGUE, ContractsSettings
from contracts.use_cases.catalogue import import_catalogue, read_catalogue
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas.contracts import TariffsPublished

PRODUCT = """
[[product]]
code = "TEST-VAR"
name = "Test variabel"
kind = "variable"
commodities = ["electricity"]

[[product.tariff]]
commodity = "electricity"
valid_from = 2026-01-01
{valid_to}
vat_rate = "0.21"
fixed_costs_per_day = "0.20"
unit_prices = {{ electricity_single = "{price}" }}
"""

# Starts before the first period of product() ends: refused.
SECOND_PERIOD = """
[[product.tariff]]
commodity = "electricity"
valid_from = 2026-05-01
vat_rate = "0.21"
fixed_costs_per_day = "0.20"
unit_prices = { electricity_single = "0.30" }
"""


def product(price: str = "0.25", valid_to: str | None = None) -> str:
    return PRODUCT.format(price=price, valid_to=f"valid_to = {valid_to}" if valid_to else "")


async def counts(service: Harness) -> tuple[int, int, int]:
    async with service.runtime.sessions() as session:
        found = [
            int(await session.scalar(sa.select(sa.func.count()).select_from(t)) or 0)
            for t in (Product, TariffPeriod, TariffPrice)
        ]
    return found[0], found[1], found[2]


async def run_import(service: Harness, text: str) -> list[str]:
    async with service.runtime.new_uow() as uow:
        return await import_catalogue(uow, parse_catalogue(text))


async def test_default_catalogue_imports_once_and_publishes_each_product(service: Harness) -> None:
    text = DEFAULT_CATALOGUE.read_text()
    changed = await run_import(service, text)
    assert changed == ["VAST-1JR", "VAST-3JR", "VARIABEL", "WARMTE"]
    stored = await counts(service)
    assert stored == (4, 10, 21)

    events = await service.outbox("TariffsPublished")
    assert [e.subject for e in events] == changed  # keyed by product code (compacted topic)
    variable = TariffsPublished.model_validate(events[2].data)
    assert variable.kind == "variable" and variable.term_months is None
    electricity = [p for p in variable.periods if p.commodity == "electricity"]
    assert [(p.valid_from, p.valid_to) for p in electricity] == [
        (date(2025, 1, 1), date(2026, 1, 1)),
        (date(2026, 1, 1), date(2026, 7, 1)),
        (date(2026, 7, 1), None),
    ]
    assert electricity[0].unit_prices["electricity_single"] == Decimal("0.223140")
    assert events[2].model_dump(mode="json")["data"]["periods"][0]["vat_rate"] == "0.21"  # no float

    assert await run_import(service, text) == []  # the same file again changes nothing
    assert await counts(service) == stored
    assert len(await service.outbox("TariffsPublished")) == 4


async def test_a_later_file_closes_a_period_and_adds_the_next(service: Harness) -> None:
    await run_import(service, product())
    changed = await run_import(
        service,
        product(valid_to="2026-07-01")
        + """
[[product.tariff]]
commodity = "electricity"
valid_from = 2026-07-01
vat_rate = "0.21"
fixed_costs_per_day = "0.21"
unit_prices = { electricity_single = "0.23" }
""",
    )
    assert changed == ["TEST-VAR"]
    last = TariffsPublished.model_validate((await service.outbox("TariffsPublished"))[-1].data)
    assert [(p.valid_from, p.valid_to) for p in last.periods] == [
        (date(2026, 1, 1), date(2026, 7, 1)),
        (date(2026, 7, 1), None),
    ]


async def test_a_period_overlapping_a_stored_one_is_refused_and_nothing_changes(service: Harness) -> None:
    await run_import(service, product())  # open-ended from 2026-01-01
    before = await counts(service)
    overlapping = product().replace("valid_from = 2026-01-01", "valid_from = 2026-03-01")
    with pytest.raises(InvalidCatalogue, match="overlaps"):
        await run_import(service, DEFAULT_CATALOGUE.read_text() + overlapping)
    assert await counts(service) == before  # not even the default products went in
    assert len(await service.outbox("TariffsPublished")) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[product]\ncode = 1", "not valid TOML"),
        (product(price="0.25").replace('"0.25"', "0.25"), "strings"),
        (product().replace("electricity_single", "gas"), "not a register of electricity"),
        (product().replace('kind = "variable"', 'kind = "fixed"'), "term_months"),
        (product(valid_to="2025-12-31"), "valid_to must be after valid_from"),
        (product() + product(), "listed twice"),
        (product().replace('vat_rate = "0.21"', 'vat_rate = "1.21"'), "vat_rate"),
        (product().replace('"0.20"', '"-0.20"'), "fixed_costs_per_day"),
        (product().replace('name = "Test variabel"\n', ""), "name"),
        (
            product()
            + product()
            .replace('code = "TEST-VAR"', 'code = "OTHER"')
            .replace("[[product.tariff]]", "[[product.tariff]]\nbogus = 1"),
            "bogus",
        ),
        (product(valid_to="2026-06-01") + SECOND_PERIOD, "overlaps"),
    ],
)
def test_bad_files_are_refused_with_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidCatalogue, match=message):
        parse_catalogue(text)


def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidCatalogue, match="cannot be read"):
        read_catalogue(tmp_path / "missing.toml")


async def test_the_service_loads_the_catalogue_at_start_only_when_empty(tmp_path: Path) -> None:
    settings = ContractsSettings(database_url=f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3")
    assert settings.catalogue_file == DEFAULT_CATALOGUE

    def app() -> FastAPI:
        made = create_app(settings)
        TokenFactory().install(made)
        return made

    async with service_under_test(app(), Base.metadata) as service:
        assert (await counts(service))[0] == 4
        listed = await service.client.get("/v1/products")  # public: no token
        assert listed.status_code == 200
        assert listed.json()["total"] == 4
    async with service_under_test(app(), Base.metadata) as service:
        assert len(await service.outbox("TariffsPublished")) == 4  # not loaded twice


def test_cli_imports_a_file_and_refuses_a_bad_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    assert main(["migrate"]) == 0
    good = tmp_path / "good.toml"
    good.write_text(product())
    bad = tmp_path / "bad.toml"
    bad.write_text(product(price="abc"))

    assert main(["import-catalogue", str(good)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "1"
    assert main(["import-catalogue", str(good)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "0"  # idempotent
    assert main(["import-catalogue", str(bad)]) == 2
    assert "electricity_single" in capsys.readouterr().err
