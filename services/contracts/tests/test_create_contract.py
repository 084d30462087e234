"""Concluding contracts: the use case and the operations CLI (on a migrated database)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from contracts.__main__ import main
from contracts.db.repositories import ContractEvents
from contracts.db.tables import Contract, ContractNumberCounter, Customer
from contracts.domain.errors import ContractNotActive, InvalidConnection, InvalidContractTerms
from contracts.settings import ContractsSettings
from contracts.use_cases.create_contract import CustomerDetails, create_contract
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractCreated

MakeContract = Callable[..., Awaitable[str]]  # the make_contract fixture (conftest)


async def count(
    service: Harness, table: type[Customer] | type[Contract] | type[ContractNumberCounter]
) -> int:
    async with service.runtime.sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_contract_created_event_and_history(service: Harness, make_contract: MakeContract) -> None:
    contract_id = await make_contract(commodity="gas", product_code="FIX-1Y-GAS")
    [event] = await service.outbox("ContractCreated")
    data = ContractCreated.model_validate(event.data)
    assert event.subject == contract_id
    assert event.producer == "contracts"
    assert (data.contract_id, data.customer_number) == (contract_id, "100200300")
    assert (data.commodity, data.product_code, data.start_date) == ("gas", "FIX-1Y-GAS", date(2025, 7, 1))
    assert data.contract_number == "100000001"  # the first number handed out
    assert "J. de Vries" not in event.model_dump_json()  # the name stays in this service
    async with service.runtime.new_uow() as uow:
        [created] = await ContractEvents(uow.session).of_contract(contract_id)
        assert created.kind == "created"
        assert created.details == {
            "contract_number": "100000001",
            "product_code": "FIX-1Y-GAS",
            "start_date": "2025-07-01",
        }


EAN = "871687140000000019"


async def test_contract_created_carries_the_connection_and_expected_consumption(
    service: Harness, make_contract: MakeContract
) -> None:
    # Metering builds its meter and plausibility check from these; billing its advance.
    contract_id = await make_contract(
        supply_postcode="1234 ab",
        meter_location="indoors",
        ean=" 8716 8714 0000 0000 19",
        annual_consumption={"electricity_normal": Decimal("1800"), "electricity_offpeak": Decimal("1450.5")},
    )
    [event] = await service.outbox("ContractCreated")
    data = ContractCreated.model_validate(event.data)
    assert (data.ean, data.supply_postcode, data.meter_location) == (EAN, "1234AB", "indoors")
    assert data.expected_annual_consumption == {
        "electricity_normal": Decimal("1800"),
        "electricity_offpeak": Decimal("1450.5"),
    }
    assert event.data["expected_annual_consumption"]["electricity_offpeak"] == "1450.5"  # never a float
    async with service.runtime.sessions() as session:
        assert await session.scalar(sa.select(Contract.ean).where(Contract.id == contract_id)) == EAN


async def test_contract_created_without_connection_data(
    service: Harness, make_contract: MakeContract
) -> None:
    await make_contract(commodity="gas")
    [event] = await service.outbox("ContractCreated")
    data = ContractCreated.model_validate(event.data)
    assert (data.ean, data.supply_postcode, data.meter_location) == (None, "1234AB", "unknown")
    assert data.expected_annual_consumption == {}


async def test_a_connection_takes_one_current_contract_per_commodity(
    service: Harness, make_contract: MakeContract
) -> None:
    await make_contract(ean=EAN)
    with pytest.raises(ContractNotActive):
        await make_contract(ean=EAN, customer_number="999888777")
    await make_contract(ean=EAN, commodity="gas")  # the EAN rule is per commodity, as on request
    with pytest.raises(InvalidConnection) as typo:
        await make_contract(ean="871687140000000018")  # check digit off by one
    assert typo.value.field == "ean"
    assert await count(service, Contract) == 2
    assert len(await service.outbox("ContractCreated")) == 2


async def test_a_known_customer_is_reused(service: Harness, make_contract: MakeContract) -> None:
    await make_contract(commodity="electricity")
    await make_contract(commodity="gas")
    assert await count(service, Customer) == 1
    assert await count(service, Contract) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"fixed_term_end": date(2025, 6, 30)}, "fixed_term_end"),  # before the start
        ({"concluded_on": date(2025, 7, 2)}, "concluded_on"),  # after the start
        ({"customer_number": "12 34"}, "customer_number"),
        ({"customer_number": "1" * 21}, "customer_number"),
        ({"product_code": " "}, "product_code"),
        ({"supply_postcode": "0123AB"}, "supply_postcode"),
        ({"supply_postcode": "1234 A B"}, "supply_postcode"),
        ({"billing_postcode": "1234-AB"}, "billing_postcode"),
        ({"segment": "government"}, "segment"),
    ],
)
async def test_invalid_terms_store_and_emit_nothing(
    service: Harness, changes: dict[str, object], field: str
) -> None:
    terms: dict[str, object] = {
        "customer_number": "100200300",
        "product_code": "FIX-3Y-GREEN",
        "start_date": date(2025, 7, 1),
        "fixed_term_end": date(2026, 12, 31),
        "concluded_on": date(2025, 6, 1),
        "supply_postcode": "1234AB",
        "billing_postcode": None,
        "segment": None,
        **changes,
    }
    customer = CustomerDetails(
        customer_number=str(terms.pop("customer_number")),
        name="J. de Vries",
        billing_postcode=terms.pop("billing_postcode"),  # type: ignore[arg-type]
        segment=terms.pop("segment"),  # type: ignore[arg-type]
    )
    async with service.runtime.new_uow() as uow:
        with pytest.raises(InvalidContractTerms) as refused:
            await create_contract(
                uow,
                customer=customer,
                commodity="electricity",
                now=datetime(2025, 6, 1, 10, 0, tzinfo=UTC),
                **terms,  # type: ignore[arg-type]
            )
    assert refused.value.field == field
    assert await count(service, Customer) == 0
    assert await count(service, Contract) == 0
    assert await count(service, ContractNumberCounter) == 0  # no number taken either
    assert await service.outbox() == []


def test_cli_creates_a_contract_on_a_migrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "contracts.sqlite3"
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    key = Sealer.new_key()
    monkeypatch.setenv("EVENT_SEALING_KEY", key)
    assert main(["migrate"]) == 0
    capsys.readouterr()

    args = [
        "create-contract",
        "--customer-number",
        "100200300",
        "--name",
        "J. de Vries",
        "--commodity",
        "electricity",
        "--product-code",
        "FIX-3Y-GREEN",
        "--supply-postcode",
        "1234 ab",
        "--billing-postcode",
        "5678cd",
        "--start-date",
        "2025-07-01",
        "--fixed-term-end",
        "2026-12-31",
    ]
    assert main([*args, "--ean", "1234"]) == 2  # malformed EAN: refused, nothing stored
    assert "18 digits" in capsys.readouterr().err
    assert main(args) == 0
    contract_id = capsys.readouterr().out.splitlines()[-1]

    def read(sql: str, **params: str) -> list[tuple[object, ...]]:
        with sa.create_engine(f"sqlite:///{database}").connect() as db:
            return [tuple(row) for row in db.execute(sa.text(sql), params)]

    [row] = read(
        "SELECT status, concluded_on, contract_number, supply_postcode FROM contracts WHERE id = :id",
        id=contract_id,
    )
    # A start date in the past: the contract was concluded by then at the latest.
    assert row == ("active", "2025-07-01", "100000001", "1234AB")
    assert read("SELECT billing_postcode, segment FROM customers") == [("5678CD", "private")]
    outbox = read("SELECT event_type, key, payload FROM outbox ORDER BY id")
    assert [(event_type, key) for event_type, key, _ in outbox] == [
        ("CustomerRegistered", "100200300"),
        ("CustomerDetailsChanged", "100200300"),  # a new customer: billing learns the name
        ("ContractCreated", contract_id),
        *[("DocumentAvailable", "100200300")] * 3,  # confirmation, tariff sheet, technical card
    ]
    registered = json.loads(str(outbox[0][2]))["data"]
    assert (registered["supply_postcodes"], registered["billing_postcode"]) == (["1234AB"], "5678CD")
    details = json.loads(str(outbox[1][2]))["data"]
    assert "J. de Vries" not in str(outbox[1][2])
    assert Sealer(key).open(details["sealed_name"]) == "J. de Vries"
    assert (details["payment_method"], details["sealed_iban"]) == ("transfer", None)
    created = json.loads(str(outbox[2][2]))["data"]
    assert created["contract_number"] == "100000001"
    assert (created["ean"], created["supply_postcode"], created["meter_location"]) == (
        None,
        "1234AB",
        "unknown",
    )

    # A second contract with its connection, meter location and expected volumes.
    assert (
        main(
            [
                *args[:-4],
                "--start-date",
                "2025-07-01",
                "--commodity",
                "gas",
                "--ean",
                "871687140000000026",
                "--meter-location",
                "outdoors",
                "--annual-m3",
                "1200",
            ]
        )
        == 0
    )
    capsys.readouterr()
    [payload] = read("SELECT payload FROM outbox WHERE event_type = 'ContractCreated' AND id > 5")
    gas = json.loads(str(payload[0]))["data"]
    assert (gas["commodity"], gas["ean"], gas["meter_location"]) == ("gas", "871687140000000026", "outdoors")
    assert gas["expected_annual_consumption"] == {"gas": "1200"}

    bad = [*args[:-4], "--start-date", "2025-07-01", "--fixed-term-end", "2025-01-01"]
    assert main(bad) == 2
    assert "fixed term" in capsys.readouterr().err

    # A malformed postcode is refused with the expected format, and nothing is stored.
    typo = [a if a != "1234 ab" else "1234 abc" for a in args]
    assert main(typo) == 2
    assert "four digits" in capsys.readouterr().err
    assert len(read("SELECT id FROM contracts")) == 2
    assert len(read("SELECT id FROM outbox")) == 10  # nothing more than the two contracts wrote

    # The supply postcode cannot be left out.
    with pytest.raises(SystemExit) as usage:
        main([a for a in args if a not in ("--supply-postcode", "1234 ab")])
    assert usage.value.code == 2
    assert "--supply-postcode" in capsys.readouterr().err


def test_cli_keeps_segment_for_business_customers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "contracts.sqlite3"
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    assert main(["migrate"]) == 0
    args = [
        "create-contract",
        "--customer-number",
        "300400500",
        "--name",
        "Bakkerij BV",
        "--commodity",
        "gas",
        "--product-code",
        "ZAKELIJK",
        "--start-date",
        "2026-01-01",
        "--supply-postcode",
        "3011AA",
    ]
    assert main([*args, "--segment", "business"]) == 0
    # A second contract without --segment keeps the customer business and announces nothing.
    assert main(args) == 0
    capsys.readouterr()
    with sa.create_engine(f"sqlite:///{database}").connect() as db:
        segment = db.execute(sa.text("SELECT segment FROM customers")).scalar_one()
        payloads = db.execute(
            sa.text("SELECT payload FROM outbox WHERE event_type = 'CustomerRegistered'")
        ).scalars()
        registrations = [json.loads(p)["data"] for p in payloads]
    assert segment == "business"
    assert [(r["segment"], r["supply_postcodes"], r["billing_postcode"]) for r in registrations] == [
        ("business", ["3011AA"], None)
    ]


def test_settings_read_fee_inputs_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTRACTS_FEE_GAS_PRICE_GAP_EUR_PER_M3", "0.15")
    monkeypatch.setenv("CONTRACTS_FEE_GAS_PROFILE", json.dumps(["0.5", "0.5"]))
    with pytest.raises(ValueError, match="12 shares"):
        ContractsSettings()
    monkeypatch.delenv("CONTRACTS_FEE_GAS_PROFILE")
    assert str(ContractsSettings().fee_gas_price_gap_eur_per_m3) == "0.15"
