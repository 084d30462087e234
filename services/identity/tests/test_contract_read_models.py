"""Read models for registration by contract: contract facts, letter codes, latest invoices."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from identity.db.tables import ContractFacts, LatestInvoice, RegistrationCode
from identity.domain.secrets import verify_code
from identity.settings import IdentitySettings
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import ContractCreated, RegistrationCodeIssued

CONTRACT_ID = "c-1"
NUMBER = "100000001"
CUSTOMER = "314159265"
T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)


async def rows(service: Harness, table: type[object]) -> list[object]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(table)))


async def publish(
    service: Harness, data: object, occurred_at: datetime, producer: str = "contracts"
) -> Envelope:
    envelope = Envelope.wrap(data, subject=CONTRACT_ID, producer=producer, occurred_at=occurred_at)  # type: ignore[arg-type]
    await service.redeliver(envelope, data.topic())  # type: ignore[attr-defined]
    return envelope


def created(**changes: object) -> ContractCreated:
    values: dict[str, object] = {
        "contract_id": CONTRACT_ID,
        "contract_number": NUMBER,
        "customer_number": CUSTOMER,
        "commodity": "electricity",
        "product_code": "VAST",
        "start_date": date(2026, 1, 1),
    }
    values.update(changes)
    return ContractCreated.model_validate(values)


def sealer(settings: IdentitySettings) -> Sealer:
    assert settings.event_sealing_key is not None
    return Sealer(settings.event_sealing_key.get_secret_value())


def code_issued(
    settings: IdentitySettings, code: str, expires_at: datetime = T0 + timedelta(days=90)
) -> RegistrationCodeIssued:
    return RegistrationCodeIssued(
        contract_id=CONTRACT_ID,
        contract_number=NUMBER,
        customer_number=CUSTOMER,
        sealed_code=sealer(settings).seal(code),
        expires_at=expires_at,
    )


def invoice(number: str, total: str, issued_at: datetime, **changes: object) -> InvoiceIssued:
    values: dict[str, object] = {
        "invoice_id": f"i-{number}",
        "invoice_number": number,
        "customer_number": CUSTOMER,
        "contract_id": CONTRACT_ID,
        "kind": "periodic",
        "issued_at": issued_at,
        "due_date": date(2026, 6, 1),
        "total_incl_vat": Decimal(total),
    }
    values.update(changes)
    return InvoiceIssued.model_validate(values)


async def test_contract_facts_latest_wins_and_replays_change_nothing(service: Harness) -> None:
    first = await publish(service, created(), T0)
    await publish(service, created(customer_number="999"), T0 + timedelta(hours=1))
    await publish(service, created(customer_number="888"), T0 + timedelta(minutes=30))  # late, older
    await service.redeliver(first, ContractCreated.topic())  # the same event again
    [row] = await rows(service, ContractFacts)
    assert isinstance(row, ContractFacts)
    assert (row.contract_number, row.customer_number) == (NUMBER, "999")


async def test_a_contract_without_a_number_is_kept(service: Harness) -> None:
    await publish(service, created(contract_number=None), T0)
    [row] = await rows(service, ContractFacts)
    assert isinstance(row, ContractFacts) and row.contract_number is None


async def test_only_a_hash_of_the_code_is_kept_and_a_newer_letter_replaces_it(
    service: Harness, settings: IdentitySettings
) -> None:
    await publish(service, code_issued(settings, "AbCd2345"), T0)
    [row] = await rows(service, RegistrationCode)
    assert isinstance(row, RegistrationCode)
    assert "AbCd2345" not in row.code_hash and row.code_hash.startswith("$argon2id$")
    assert verify_code(row.code_hash, "AbCd2345") and not verify_code(row.code_hash, "abcd2345")

    async with service.runtime.new_uow() as uow:  # spent: used and wrong tries
        stored = await uow.session.get(RegistrationCode, NUMBER)
        assert stored is not None
        stored.wrong_attempts, stored.used_at = 3, T0
        await uow.commit()

    newer = await publish(service, code_issued(settings, "Zyxw9876"), T0 + timedelta(days=1))
    await publish(service, code_issued(settings, "Oldr2345"), T0 + timedelta(hours=1))  # older, late
    await service.redeliver(newer, RegistrationCodeIssued.topic())
    [row] = await rows(service, RegistrationCode)
    assert isinstance(row, RegistrationCode)
    assert verify_code(row.code_hash, "Zyxw9876")
    assert (row.wrong_attempts, row.used_at, row.issued_at) == (0, None, T0 + timedelta(days=1))


async def test_a_code_sealed_with_another_key_is_not_stored(
    service: Harness, settings: IdentitySettings
) -> None:
    foreign = RegistrationCodeIssued(
        contract_id=CONTRACT_ID,
        contract_number=NUMBER,
        customer_number=CUSTOMER,
        sealed_code=Sealer(Sealer.new_key()).seal("AbCd2345"),
        expires_at=T0 + timedelta(days=90),
    )
    await publish(service, foreign, T0)  # retried, then dead-lettered with the error
    assert await rows(service, RegistrationCode) == []


async def test_latest_invoice_per_contract(service: Harness) -> None:
    await publish(service, invoice("F-1", "98.00", T0), T0, producer="billing")
    await publish(service, invoice("F-3", "120.50", T0 + timedelta(days=60)), T0, producer="billing")
    await publish(service, invoice("F-2", "77.00", T0 + timedelta(days=30)), T0, producer="billing")  # late
    # Credit notes and invoices without a contract are not "the last invoice".
    await publish(
        service, invoice("C-1", "-20.00", T0 + timedelta(days=90), kind="credit_note"), T0, producer="billing"
    )
    await publish(
        service, invoice("F-9", "5.00", T0 + timedelta(days=90), contract_id=None), T0, producer="billing"
    )
    [row] = await rows(service, LatestInvoice)
    assert isinstance(row, LatestInvoice)
    assert (row.contract_id, row.invoice_number, row.total_incl_vat) == (
        CONTRACT_ID,
        "F-3",
        Decimal("120.50"),
    )
