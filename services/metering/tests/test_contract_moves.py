"""ContractMoved: the meter stays at the old address, the contract gets a placeholder meter at
the new one; readings and the smart-meter feed follow the placements."""

from __future__ import annotations

from datetime import date
from typing import Any

from faststream.kafka import KafkaMessage

from metering.db.tables import ContractView, Meter, MeterRegister
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas import Envelope
from portal_schemas.contracts import ContractMoved

CUSTOMER = "100001"
EAN = "871687120000000019"


async def moved(service: Harness, contract_id: str = "C-1", **dates: date) -> Envelope:
    data = ContractMoved(
        contract_id=contract_id,
        customer_number=CUSTOMER,
        move_out_date=dates.get("move_out_date", date(2026, 3, 10)),
        move_in_date=dates.get("move_in_date", date(2026, 3, 12)),
        old_supply_postcode="1234AB",
        new_supply_postcode="9711CD",
        new_supply_street="Dorpsweg",
        new_supply_house_number=3,
        new_supply_city="Groningen",
    )
    return await service.deliver(data, subject=contract_id, producer="contracts")


async def meters(service: Harness, tokens: TokenFactory) -> list[dict[str, Any]]:
    response = await service.client.get("/v1/meters", headers=tokens.headers(CUSTOMER))
    assert response.status_code == 200, response.text
    return sorted(response.json()["items"], key=lambda m: m["installed_on"])


async def reading(service: Harness, tokens: TokenFactory, value: str, read_at: str) -> dict[str, Any]:
    body = {"contract_id": "C-1", "register_type": "heat", "value": value, "read_at": read_at}
    response = await service.client.post("/v1/readings", json=body, headers=tokens.headers(CUSTOMER))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_the_meter_stays_behind_and_a_new_one_is_placed_at_the_new_address(
    service: Harness, tokens, contracts, rows
) -> None:
    await contracts.created(commodity="heat", ean=EAN, expected={"heat": "30", "hot_water": "40"})
    await moved(service)
    old, new = await meters(service, tokens)
    assert (old["installed_on"], old["removed_on"]) == ("2026-01-01", "2026-03-11")
    assert (new["installed_on"], new["removed_on"], new["serial"]) == ("2026-03-12", None, None)
    assert [r["register_type"] for r in new["registers"]] == ["heat", "hot_water"]
    async with service.runtime.sessions() as session:
        contract = await session.get(ContractView, "C-1")
        assert contract is not None and contract.ean is None  # the new connection is not known yet
    assert await rows(MeterRegister) == 4

    # A reading up to the move-out day is the old address's; from the move-in day the new one's,
    # whose index starts afresh (lower than the old meter's is fine).
    before = await reading(service, tokens, "150", "2026-03-10T18:00:00+01:00")
    after = await reading(service, tokens, "3", "2026-03-12T12:00:00+01:00")
    assert (before["meter_id"], after["meter_id"]) == (old["meter_id"], new["meter_id"])


async def test_a_move_announced_again_changes_nothing(service: Harness, tokens, contracts, rows) -> None:
    await contracts.created(commodity="heat")
    first = await moved(service)
    await service.redeliver(first, ContractMoved.topic())
    await moved(service)  # the same move under a new event id
    assert await rows(Meter) == 2
    assert [m["removed_on"] for m in await meters(service, tokens)] == ["2026-03-11", None]
    assert await service.outbox() == []


async def test_a_move_before_its_contract_is_a_dead_letter(
    service: Harness, contracts, rows, dead_letters: list[KafkaMessage]
) -> None:
    await moved(service, "C-unknown")
    [dead] = dead_letters
    assert "not known yet" in dead.headers["dlt-error"]
    assert await rows(Meter) == 0


async def test_a_move_before_supply_starts_places_the_new_meter_on_the_start_date(
    service: Harness, tokens, contracts, rows
) -> None:
    await contracts.created(commodity="heat", start_date=date(2026, 5, 1))
    first = dict(move_out_date=date(2026, 4, 9), move_in_date=date(2026, 4, 10))
    await moved(service, **first)
    new, old = sorted(await meters(service, tokens), key=lambda m: m["removed_on"] or "")
    assert (old["installed_on"], old["removed_on"]) == ("2026-05-01", "2026-05-01")
    assert (new["installed_on"], new["removed_on"]) == ("2026-05-01", None)

    # Supply starts at the new address: its readings are the new meter's.
    after = await reading(service, tokens, "3", "2026-05-05T12:00:00+02:00")
    assert after["meter_id"] == new["meter_id"]
    await moved(service, **first)  # the same move under a new event id
    assert await rows(Meter) == 2
