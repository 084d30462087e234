"""Concluding contracts: the use case and the operations CLI (on a migrated database)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from contracts.__main__ import main
from contracts.db.repositories import ContractEvents
from contracts.db.tables import Contract, Customer
from contracts.domain.errors import InvalidContractTerms
from contracts.settings import ContractsSettings
from contracts.use_cases.create_contract import NewCustomer, create_contract
from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractCreated

MakeContract = Callable[..., Awaitable[str]]  # the make_contract fixture (conftest)


async def count(service: Harness, table: type[Customer] | type[Contract]) -> int:
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
    assert "J. de Vries" not in event.model_dump_json()  # the name stays in this service
    async with service.runtime.new_uow() as uow:
        [created] = await ContractEvents(uow.session).of_contract(contract_id)
        assert created.kind == "created"
        assert created.details == {"product_code": "FIX-1Y-GAS", "start_date": "2025-07-01"}


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
        **changes,
    }
    customer_number = str(terms.pop("customer_number"))
    async with service.runtime.new_uow() as uow:
        with pytest.raises(InvalidContractTerms) as refused:
            await create_contract(
                uow,
                customer=NewCustomer(customer_number=customer_number, name="J. de Vries"),
                commodity="electricity",
                now=datetime(2025, 6, 1, 10, 0, tzinfo=UTC),
                **terms,  # type: ignore[arg-type]
            )
    assert refused.value.field == field
    assert await count(service, Customer) == 0
    assert await service.outbox() == []


def test_cli_creates_a_contract_on_a_migrated_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "contracts.sqlite3"
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
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
        "--start-date",
        "2025-07-01",
        "--fixed-term-end",
        "2026-12-31",
    ]
    assert main(args) == 0
    contract_id = capsys.readouterr().out.strip()

    with sa.create_engine(f"sqlite:///{database}").connect() as db:
        row = db.execute(
            sa.text("SELECT status, concluded_on FROM contracts WHERE id = :id"), {"id": contract_id}
        ).one()
        outbox = db.execute(sa.text("SELECT event_type, key, payload FROM outbox")).all()
    # A start date in the past: the contract was concluded by then at the latest.
    assert tuple(row) == ("active", "2025-07-01")
    [(event_type, key, payload)] = outbox
    assert (event_type, key) == ("ContractCreated", contract_id)
    assert json.loads(payload)["data"]["contract_id"] == contract_id

    bad = [*args[:-4], "--start-date", "2025-07-01", "--fixed-term-end", "2025-01-01"]
    assert main(bad) == 2
    assert "fixed term" in capsys.readouterr().err


def test_settings_read_fee_inputs_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTRACTS_FEE_GAS_PRICE_GAP_EUR_PER_M3", "0.15")
    monkeypatch.setenv("CONTRACTS_FEE_GAS_PROFILE", json.dumps(["0.5", "0.5"]))
    with pytest.raises(ValueError, match="12 shares"):
        ContractsSettings()
    monkeypatch.delenv("CONTRACTS_FEE_GAS_PROFILE")
    inputs = ContractsSettings().fee_inputs("gas")
    assert inputs is not None
    assert str(inputs.price_gap) == "0.15"
