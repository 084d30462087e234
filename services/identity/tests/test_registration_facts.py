"""The registration facts read model, fed by contracts' CustomerRegistered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from identity.db.tables import RegistrationFacts
from portal_chassis import tables
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.contracts import CustomerRegistered

CUSTOMER = "100200300"


async def facts(service: Harness) -> list[RegistrationFacts]:
    async with service.runtime.sessions() as session:
        return list(await session.scalars(select(RegistrationFacts)))


async def inbox_rows(service: Harness) -> int:
    async with service.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(tables.inbox)) or 0)


def snapshot(**changes: object) -> CustomerRegistered:
    values: dict[str, object] = {
        "customer_number": CUSTOMER,
        "segment": "private",
        "language": "fr",
        "supply_postcodes": ["1234AB", "5678CD"],
        "billing_postcode": "9012EF",
    }
    values.update(changes)
    return CustomerRegistered.model_validate(values)


async def publish_at(service: Harness, data: CustomerRegistered, occurred_at: datetime) -> Envelope:
    envelope = Envelope.wrap(data, subject=CUSTOMER, producer="contracts", occurred_at=occurred_at)
    await service.redeliver(envelope, data.topic())
    return envelope


async def test_supply_and_billing_postcodes_are_kept(service: Harness) -> None:
    await service.deliver(snapshot(), subject=CUSTOMER)
    [row] = await facts(service)
    assert (row.customer_number, row.segment, row.language) == (CUSTOMER, "private", "fr")
    assert row.postcodes.split() == ["1234AB", "5678CD", "9012EF"]


async def test_without_a_billing_postcode(service: Harness) -> None:
    await service.deliver(
        snapshot(billing_postcode=None, supply_postcodes=["1234AB", "1234AB"]), subject=CUSTOMER
    )
    [row] = await facts(service)
    assert row.postcodes == "1234AB"


async def test_a_redelivered_event_acts_once(service: Harness) -> None:
    now = datetime.now(UTC)
    first = await publish_at(service, snapshot(), now)
    await publish_at(service, snapshot(segment="business", supply_postcodes=["4321ZZ"]), now + timedelta(1))
    await service.redeliver(first, CustomerRegistered.topic())  # same event id
    [row] = await facts(service)
    assert (row.segment, row.postcodes) == ("business", "4321ZZ 9012EF")  # not rolled back
    assert await inbox_rows(service) == 2


async def test_the_latest_snapshot_wins_and_an_older_one_arriving_late_is_ignored(service: Harness) -> None:
    now = datetime.now(UTC)
    await publish_at(service, snapshot(), now)
    await publish_at(
        service,
        snapshot(supply_postcodes=["2222BB"], billing_postcode=None, language="de"),
        now + timedelta(hours=1),
    )
    [row] = await facts(service)
    assert (row.postcodes, row.language) == ("2222BB", "de")

    await publish_at(service, snapshot(supply_postcodes=["3333CC"]), now + timedelta(minutes=30))
    [row] = await facts(service)
    assert row.postcodes == "2222BB"

    moved = await service.client.post(
        "/v1/registrations",
        json={
            "customer_number": CUSTOMER,
            "postcode": "1234AB",
            "email": "x@example.nl",
            "password": "long enough pw",
        },
    )
    assert moved.status_code == 422  # the old supply address no longer counts
    current = await service.client.post(
        "/v1/registrations",
        json={
            "customer_number": CUSTOMER,
            "postcode": "2222 bb",
            "email": "x@example.nl",
            "password": "long enough pw",
        },
    )
    assert current.status_code == 202
