"""Registration codes for the letter: the use case and the operations CLI."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from contracts.__main__ import main
from contracts.use_cases.registration_codes import (
    CODE_ALPHABET,
    issue_registration_code,
    new_registration_code,
)
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas.contracts import ContractCreated, RegistrationCodeIssued

MakeContract = Callable[..., Awaitable[str]]  # the make_contract fixture (conftest)
NOW = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)


def test_codes_are_8_characters_without_look_alikes() -> None:
    codes = {new_registration_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("0Oo1lIi") & set(CODE_ALPHABET)
    assert any(c != c.upper() for c in codes) and any(c != c.lower() for c in codes)  # mixed case


async def test_the_event_carries_the_code_sealed(service: Harness, make_contract: MakeContract) -> None:
    contract_id = await make_contract()
    [created] = await service.outbox("ContractCreated")
    number = ContractCreated.model_validate(created.data).contract_number
    assert number is not None
    sealer = Sealer(Sealer.new_key())
    async with service.runtime.new_uow() as uow:
        issued = await issue_registration_code(uow, sealer, contract_number=number, valid_days=30, now=NOW)
    [event] = await service.outbox("RegistrationCodeIssued")
    data = RegistrationCodeIssued.model_validate(event.data)
    assert event.subject == contract_id
    assert (data.contract_id, data.contract_number, data.customer_number) == (
        contract_id,
        number,
        "100200300",
    )
    assert data.expires_at == NOW + timedelta(days=30)
    assert sealer.open(data.sealed_code) == issued.code
    assert issued.code not in event.model_dump_json()


@pytest.mark.parametrize(("number", "days"), [("999999999", 90), ("12345", 90), ("100000001", 0)])
async def test_unknown_contracts_and_bad_validity_are_refused(
    service: Harness, make_contract: MakeContract, number: str, days: int
) -> None:
    await make_contract()  # 100000001
    async with service.runtime.new_uow() as uow:
        with pytest.raises(ProblemError):
            await issue_registration_code(
                uow, Sealer(Sealer.new_key()), contract_number=number, valid_days=days, now=NOW
            )
    assert await service.outbox("RegistrationCodeIssued") == []


def test_cli_prints_the_code_and_refuses_unknown_contracts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "contracts.sqlite3"
    key = Sealer.new_key()
    monkeypatch.setenv("CONTRACTS_DATABASE_URL", f"sqlite+aiosqlite:///{database}")
    monkeypatch.setenv("EVENT_SEALING_KEY", key)
    assert main(["migrate"]) == 0
    contract = [
        "create-contract", "--customer-number", "100200300", "--name", "J. de Vries",
        "--commodity", "gas", "--product-code", "VAR", "--supply-postcode", "1234AB",
        "--start-date", "2025-07-01",
    ]  # fmt: skip
    assert main(contract) == 0
    capsys.readouterr()

    assert main(["issue-registration-code", "--contract-number", "100000001"]) == 0
    code = capsys.readouterr().out.splitlines()[-1]
    assert len(code) == 8

    def outbox() -> list[dict[str, object]]:
        with sa.create_engine(f"sqlite:///{database}").connect() as db:
            rows = db.execute(
                sa.text("SELECT payload FROM outbox WHERE event_type = 'RegistrationCodeIssued'")
            )
            return [json.loads(str(payload)) for (payload,) in rows]

    [event] = outbox()
    assert Sealer(key).open(str(event["data"]["sealed_code"])) == code  # type: ignore[index]
    assert code not in json.dumps(event)

    assert main(["issue-registration-code", "--contract-number", "100000009"]) == 2
    assert "No contract has this contract number" in capsys.readouterr().err
    assert len(outbox()) == 1

    with pytest.raises(SystemExit):  # argparse: out of range
        main(["issue-registration-code", "--contract-number", "100000001", "--valid-days", "0"])

    monkeypatch.delenv("EVENT_SEALING_KEY")
    assert main(["issue-registration-code", "--contract-number", "100000001"]) == 2
    assert "EVENT_SEALING_KEY" in capsys.readouterr().err
    assert len(outbox()) == 1
