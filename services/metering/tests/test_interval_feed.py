"""The smart-meter feed: hub IntervalReadingsPublished batches, stored once per interval in
the slots of its customer day with daily and monthly sums, only with consent and within the supply, and every
bad record set aside as its own dead letter while the rest of its batch is stored."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from metering.db.tables import ConsumptionDay, ConsumptionMonth, Meter, MeterRegister
from portal_chassis.calendar import start_of_day
from portal_chassis.testing import Harness, TokenFactory
from portal_schemas import Envelope
from portal_schemas.hub import IntervalReadingsPublished

AMS = ZoneInfo("Europe/Amsterdam")
CUSTOMER = "100001"
EAN = "871687120000000011"
OTHER_EAN = "871687120000000028"
UNKNOWN_EAN = "871687120000000099"
TOPIC = IntervalReadingsPublished.topic()
CHANNEL = "electricity_consumption"
CONSENT = "/v1/contracts/{}/smart-meter-consent"


def message(
    start: datetime,
    count: int,
    *,
    ean: str = EAN,
    channel: str = CHANNEL,
    minutes: int = 15,
    unit: str = "kWh",
    value: Any = None,
    skip: Sequence[int] = (),
) -> dict[str, Any]:
    """One hub message: ``count`` intervals from ``start``; interval i is worth
    ``value(i)`` (default: i/1000 + 0.1, so each one differs), those in ``skip`` left out."""
    readings = [
        {
            "start": (start + timedelta(minutes=minutes * i)).isoformat(),
            "value": str(value(i) if value else Decimal(i) / 1000 + Decimal("0.1")),
        }
        for i in range(count)
        if i not in skip
    ]
    data = {
        "batch_id": f"B-{start.isoformat()}-{count}",
        "ean": ean,
        "channel": channel,
        "interval_minutes": minutes,
        "unit": unit,
        "readings": readings,
    }
    envelope = Envelope.wrap(IntervalReadingsPublished.model_validate(data), subject=ean, producer="hub")
    body: dict[str, Any] = envelope.model_dump(mode="json")
    body["data"] = data  # as given (a test may make it invalid on purpose)
    return body


def day_start(day: date) -> datetime:
    return start_of_day(day, AMS)


class Feed:
    def __init__(self, service: Harness, contracts: Any, tokens: TokenFactory) -> None:
        self.service = service
        self.contracts = contracts
        self.tokens = tokens

    async def smart_contract(
        self,
        contract_id: str = "C-1",
        *,
        ean: str = EAN,
        consent: bool = True,
        commodity: str = "electricity",
        start_date: date = date(2025, 1, 1),
        customer_number: str = CUSTOMER,
    ) -> str:
        meter_id: str = await self.contracts.smart(
            contract_id, ean=ean, commodity=commodity, start_date=start_date, customer_number=customer_number
        )
        if consent:
            response = await self.service.client.put(
                CONSENT.format(contract_id),
                json={"terms_version": 1},
                headers=self.tokens.headers(customer_number),
            )
            assert response.status_code == 200, response.text
        return meter_id

    async def publish(self, *bodies: Any) -> None:
        await self.service.broker.publish_batch(*bodies, topic=TOPIC)

    async def intervals(self) -> dict[tuple[str, str, datetime], Decimal]:
        """Every stored interval by its start, read from the slots of the day rows."""
        async with self.service.runtime.sessions() as session:
            stored = {}
            for d in await session.scalars(select(ConsumptionDay)):
                first = day_start(d.day)
                for slot, value in enumerate(d.slot_values):
                    if value is not None:
                        stored[
                            (d.meter_id, d.channel, first + timedelta(minutes=slot * d.interval_minutes))
                        ] = value
            return stored

    async def qualities(self) -> dict[tuple[str, str, date], str]:
        async with self.service.runtime.sessions() as session:
            return {
                (d.meter_id, d.channel, d.day): d.slot_qualities
                for d in await session.scalars(select(ConsumptionDay))
            }

    async def days(self) -> dict[tuple[str, str, date], tuple[Decimal, int]]:
        async with self.service.runtime.sessions() as session:
            return {
                (d.meter_id, d.channel, d.day): (d.total, d.intervals)
                for d in await session.scalars(select(ConsumptionDay))
            }

    async def months(self) -> dict[tuple[str, str, date], tuple[Decimal, int]]:
        async with self.service.runtime.sessions() as session:
            return {
                (m.meter_id, m.channel, m.month): (m.total, m.intervals)
                for m in await session.scalars(select(ConsumptionMonth))
            }

    async def assert_sums_match_intervals(self) -> None:
        """Recomputes every daily total and count from its slots, and every monthly sum from
        the days; checks each day has one slot per interval of the customer day and a quality
        character per slot ("." exactly where there is no value)."""
        days: dict[tuple[str, str, date], tuple[Decimal, int]] = {}
        months: dict[tuple[str, str, date], tuple[Decimal, int]] = defaultdict(lambda: (Decimal(0), 0))
        async with self.service.runtime.sessions() as session:
            rows = list(await session.scalars(select(ConsumptionDay)))
        for d in rows:
            length = day_start(d.day + timedelta(days=1)) - day_start(d.day)
            assert len(d.slot_values) == length // timedelta(minutes=d.interval_minutes)
            assert len(d.slot_qualities) == len(d.slot_values)
            for value, quality in zip(d.slot_values, d.slot_qualities, strict=True):
                assert (value is None) == (quality == ".")
            present = [v for v in d.slot_values if v is not None]
            days[(d.meter_id, d.channel, d.day)] = (sum(present, Decimal(0)), len(present))
            key = (d.meter_id, d.channel, d.day.replace(day=1))
            total, count = months[key]
            months[key] = (total + sum(present, Decimal(0)), count + len(present))
        assert await self.days() == days
        assert await self.months() == dict(months)


@pytest.fixture
def feed(service: Harness, contracts: Any, tokens: TokenFactory) -> Feed:
    return Feed(service, contracts, tokens)


def total(count: int, skip: Sequence[int] = ()) -> Decimal:
    return sum((Decimal(i) / 1000 + Decimal("0.1") for i in range(count) if i not in skip), Decimal(0))


async def test_a_day_of_quarter_hours_is_stored_with_its_daily_and_monthly_sums(
    feed: Feed, dead_letters: list[Any]
) -> None:
    meter = await feed.smart_contract()
    await feed.publish(message(day_start(date(2026, 3, 2)), 96))
    assert len(await feed.intervals()) == 96
    assert await feed.days() == {(meter, CHANNEL, date(2026, 3, 2)): (total(96), 96)}
    assert await feed.months() == {(meter, CHANNEL, date(2026, 3, 1)): (total(96), 96)}
    async with feed.service.runtime.sessions() as session:
        day = await session.get(ConsumptionDay, (meter, CHANNEL, date(2026, 3, 2)))
        assert day is not None and day.interval_minutes == 15
    assert dead_letters == []


@pytest.mark.parametrize(
    ("day", "quarter_hours"),
    [(date(2026, 3, 29), 92), (date(2026, 10, 25), 100), (date(2026, 6, 1), 96)],
)
async def test_daylight_saving_days_sum_their_23_or_25_hours(
    feed: Feed, day: date, quarter_hours: int
) -> None:
    meter = await feed.smart_contract()
    start = day_start(day) - timedelta(hours=1)  # the last hour of the day before, too
    length = int((day_start(day + timedelta(days=1)) - start) / timedelta(minutes=15)) + 4  # and the next
    await feed.publish(message(start, length, value=lambda i: Decimal(1)))
    days = await feed.days()
    assert days[(meter, CHANNEL, day)] == (Decimal(quarter_hours), quarter_hours)
    assert days[(meter, CHANNEL, day - timedelta(days=1))] == (Decimal(4), 4)
    assert days[(meter, CHANNEL, day + timedelta(days=1))] == (Decimal(4), 4)
    await feed.assert_sums_match_intervals()


async def test_a_quarter_hour_belongs_to_the_customers_day_and_month(feed: Feed) -> None:
    meter = await feed.smart_contract()
    # 31 March 22:00 UTC is 1 April 00:00 in Amsterdam (summer time).
    await feed.publish(message(datetime(2026, 3, 31, 21, 45, tzinfo=UTC), 2, value=lambda i: Decimal(i + 1)))
    assert await feed.days() == {
        (meter, CHANNEL, date(2026, 3, 31)): (Decimal(1), 1),
        (meter, CHANNEL, date(2026, 4, 1)): (Decimal(2), 1),
    }
    assert await feed.months() == {
        (meter, CHANNEL, date(2026, 3, 1)): (Decimal(1), 1),
        (meter, CHANNEL, date(2026, 4, 1)): (Decimal(2), 1),
    }


async def test_duplicates_within_and_across_batches_count_once(feed: Feed) -> None:
    meter = await feed.smart_contract()
    first = message(day_start(date(2026, 3, 2)), 96)
    await feed.publish(first, first, message(day_start(date(2026, 3, 2)) + timedelta(hours=6), 8))
    await feed.publish(first)  # the hub sends it again later
    await feed.publish(message(day_start(date(2026, 3, 2)), 96))  # under a new event id
    assert len(await feed.intervals()) == 96
    assert await feed.days() == {(meter, CHANNEL, date(2026, 3, 2)): (total(96), 96)}
    assert await feed.months() == {(meter, CHANNEL, date(2026, 3, 1)): (total(96), 96)}


async def test_a_differing_value_for_a_stored_interval_is_ignored(
    feed: Feed, caplog: pytest.LogCaptureFixture
) -> None:
    meter = await feed.smart_contract()
    start = day_start(date(2026, 3, 2))
    with caplog.at_level("INFO"):
        await feed.publish(message(start, 4, value=lambda i: Decimal(1)))
        await feed.publish(
            message(start, 4, value=lambda i: Decimal(9)), message(start + timedelta(hours=1), 1)
        )
        # In the same batch, the first value wins too.
        await feed.publish(
            message(start + timedelta(hours=2), 1, value=lambda i: Decimal(2)),
            message(start + timedelta(hours=2), 1, value=lambda i: Decimal(3)),
        )
    logged = [r.msg for r in caplog.records if isinstance(r.msg, dict)]
    applied = [e for e in logged if e["event"] == "interval batch applied"]
    assert [(e["stored"], e["already_stored"], e["repeated_in_batch"], e["differing"]) for e in applied] == [
        (4, 0, 0, 0),
        (1, 4, 0, 4),
        (1, 0, 1, 1),
    ]
    assert EAN not in str(applied)  # counts only: an EAN identifies a household
    stored = await feed.intervals()
    assert [stored[(meter, CHANNEL, start + timedelta(minutes=15 * i))] for i in range(4)] == [Decimal(1)] * 4
    assert stored[(meter, CHANNEL, start + timedelta(hours=2))] == Decimal(2)
    assert await feed.days() == {(meter, CHANNEL, date(2026, 3, 2)): (Decimal("6.1"), 6)}


async def test_late_and_out_of_order_data_fills_the_day_and_gaps_stay_gaps(feed: Feed) -> None:
    meter = await feed.smart_contract()
    start = day_start(date(2026, 3, 2))
    # The afternoon first, then a later day, then the morning with two quarter hours missing.
    await feed.publish(message(start + timedelta(hours=12), 48, value=lambda i: Decimal(2)))
    await feed.publish(message(start + timedelta(days=1), 96, value=lambda i: Decimal(1)))
    await feed.publish(message(start, 48, value=lambda i: Decimal(1), skip=(5, 6)))
    stored = await feed.intervals()
    assert (meter, CHANNEL, start + timedelta(minutes=75)) not in stored  # a gap, never a zero
    assert (meter, CHANNEL, start + timedelta(minutes=90)) not in stored
    days = await feed.days()
    assert days[(meter, CHANNEL, date(2026, 3, 2))] == (Decimal(46 + 96), 94)
    assert days[(meter, CHANNEL, date(2026, 3, 3))] == (Decimal(96), 96)
    assert await feed.months() == {(meter, CHANNEL, date(2026, 3, 1)): (Decimal(46 + 96 + 96), 190)}
    # The missing quarter hours arrive at last.
    await feed.publish(message(start + timedelta(minutes=75), 2, value=lambda i: Decimal(1)))
    assert (await feed.days())[(meter, CHANNEL, date(2026, 3, 2))] == (Decimal(144), 96)
    await feed.assert_sums_match_intervals()


async def test_without_consent_nothing_is_stored(feed: Feed, dead_letters: list[Any]) -> None:
    await feed.smart_contract(consent=False)
    await feed.publish(message(day_start(date(2026, 3, 2)), 96))
    assert await feed.intervals() == {}
    assert await feed.days() == {}
    assert dead_letters == []  # valid data, only not ours to keep


async def test_after_a_revocation_the_data_is_gone_and_no_more_is_stored(
    feed: Feed, tokens: TokenFactory
) -> None:
    await feed.smart_contract()
    await feed.publish(message(day_start(date(2026, 3, 2)), 96))
    response = await feed.service.client.delete(CONSENT.format("C-1"), headers=tokens.headers(CUSTOMER))
    assert response.status_code == 200
    assert (await feed.intervals(), await feed.days(), await feed.months()) == ({}, {}, {})
    await feed.publish(message(day_start(date(2026, 3, 3)), 96))
    assert await feed.intervals() == {}


async def test_consent_for_older_terms_stores_nothing_new(feed: Feed) -> None:
    await feed.smart_contract()
    await feed.publish(message(day_start(date(2026, 3, 2)), 4))
    feed.service.runtime.settings.smart_meter_terms_version = 2
    await feed.publish(message(day_start(date(2026, 3, 3)), 4))
    assert len(await feed.intervals()) == 4  # kept (hidden by the views) until revoked


async def test_a_heat_connection_needs_no_consent(feed: Feed) -> None:
    meter = await feed.smart_contract(commodity="heat", consent=False)
    await feed.publish(
        message(day_start(date(2026, 1, 5)), 24, channel="heat", minutes=60, unit="GJ"),
        message(day_start(date(2026, 1, 5)), 24, channel="hot_water", minutes=60, unit="m3"),
    )
    days = await feed.days()
    assert days[(meter, "heat", date(2026, 1, 5))] == (total(24), 24)
    assert days[(meter, "hot_water", date(2026, 1, 5))] == (total(24), 24)


async def test_intervals_outside_the_supply_are_dropped(feed: Feed, contracts: Any) -> None:
    meter = await feed.smart_contract(start_date=date(2026, 3, 2))
    await contracts.terminated(end_date=date(2026, 3, 3))
    # From 1 March to 4 March: only the days of supply, 2 and 3 March, are kept.
    await feed.publish(message(day_start(date(2026, 3, 1)), 96 * 4, value=lambda i: Decimal(1)))
    assert await feed.days() == {
        (meter, CHANNEL, date(2026, 3, 2)): (Decimal(96), 96),
        (meter, CHANNEL, date(2026, 3, 3)): (Decimal(96), 96),
    }


async def test_each_interval_goes_to_the_meter_in_place_that_day(feed: Feed) -> None:
    old = await feed.smart_contract()
    new = "new-meter"
    async with feed.service.runtime.sessions() as session:
        placed = await session.get(Meter, old)
        assert placed is not None
        placed.removed_on = date(2026, 3, 3)
        session.add(
            Meter(
                meter_id=new,
                contract_id="C-1",
                customer_number=CUSTOMER,
                commodity="electricity",
                ean=EAN,
                serial="S-new",
                smart=True,
                location="indoors",
                installed_on=date(2026, 3, 3),
                removed_on=None,
                created_at=datetime.now(UTC),
            )
        )
        session.add(MeterRegister(meter_id=new, register_type="electricity_single", unit="kWh", digits=6))
        await session.commit()
    await feed.publish(message(day_start(date(2026, 3, 2)), 96 * 2, value=lambda i: Decimal(1)))
    assert await feed.days() == {
        (old, CHANNEL, date(2026, 3, 2)): (Decimal(96), 96),
        (new, CHANNEL, date(2026, 3, 3)): (Decimal(96), 96),
    }


async def test_a_connection_that_changed_hands_keeps_each_contracts_own_consent(
    feed: Feed, contracts: Any
) -> None:
    first = await feed.smart_contract(start_date=date(2025, 1, 1))
    await contracts.terminated(end_date=date(2026, 2, 28))
    await feed.smart_contract("C-2", start_date=date(2026, 3, 1), customer_number="200002", consent=False)
    await feed.publish(message(day_start(date(2026, 2, 28)), 96 * 2, value=lambda i: Decimal(1)))
    assert await feed.days() == {(first, CHANNEL, date(2026, 2, 28)): (Decimal(96), 96)}


def _set(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    target: Any = body
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is _DELETE:
        del target[last]
    else:
        target[last] = value
    return body


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("data.readings.1.value", "-1", "data.readings.1.value"),
        ("data.readings.1.value", "a lot", "data.readings.1.value"),
        ("data.readings.1.start", "2026-03-02T10:07:00+00:00", "starts on a multiple"),
        ("data.readings.1.start", "2026-03-02T10:15:00", "data.readings.1.start"),
        ("data.unit", "m3", "measured in kWh"),
        ("data.ean", "12345", "data.ean"),
        ("data.ean", _DELETE, "data.ean"),
        ("data.channel", "water", "data.channel"),
        ("data.readings", [], "data.readings"),
        ("event_id", "not-a-uuid", "event_id"),
    ],
)
async def test_a_malformed_record_is_a_dead_letter_and_the_rest_of_the_batch_is_stored(
    feed: Feed, dead_letters: list[Any], path: str, value: Any, reason: str
) -> None:
    meter = await feed.smart_contract()
    bad = _set(message(day_start(date(2026, 3, 3)), 4), path, value)
    await feed.publish(
        message(day_start(date(2026, 3, 2)), 96), bad, message(day_start(date(2026, 3, 4)), 96)
    )
    assert set(await feed.days()) == {(meter, CHANNEL, date(2026, 3, 2)), (meter, CHANNEL, date(2026, 3, 4))}
    [dead] = dead_letters
    assert json.loads(dead.body) == bad
    assert reason in dead.headers["dlt-error"]
    assert dead.headers["dlt-consumer-group"] == "metering.interval-feed"
    assert dead.headers["dlt-original-topic"] == TOPIC
    assert EAN not in dead.headers["dlt-error"]


async def test_a_record_that_is_not_json_is_a_dead_letter(feed: Feed, dead_letters: list[Any]) -> None:
    await feed.smart_contract()
    await feed.publish(b"\x00 not json", message(day_start(date(2026, 3, 2)), 96))
    assert len(await feed.intervals()) == 96
    [dead] = dead_letters
    assert dead.body == b"\x00 not json"
    assert dead.headers["dlt-error"].startswith("validation failed")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"ean": UNKNOWN_EAN}, "unknown connection"),
        ({"channel": "gas", "minutes": 60, "unit": "m3"}, "channel gas does not fit the electricity meter"),
        ({"channel": "heat", "minutes": 60, "unit": "GJ"}, "channel heat does not fit"),
        ({"minutes": 60}, "published in 15-minute intervals, not 60"),
        ({"value": lambda i: Decimal("123456789")}, "not a meter's"),
    ],
)
async def test_a_record_that_can_never_be_stored_is_a_dead_letter_with_its_reason(
    feed: Feed, dead_letters: list[Any], overrides: dict[str, Any], reason: str
) -> None:
    meter = await feed.smart_contract()
    bad = message(day_start(date(2026, 3, 3)), 4, **overrides)
    await feed.publish(message(day_start(date(2026, 3, 2)), 96), bad)
    assert set(await feed.days()) == {(meter, CHANNEL, date(2026, 3, 2))}
    [dead] = dead_letters
    assert json.loads(dead.body) == bad
    assert dead.headers["dlt-error-type"] == "PermanentError"
    assert reason in dead.headers["dlt-error"]
    assert EAN not in dead.headers["dlt-error"] and UNKNOWN_EAN not in dead.headers["dlt-error"]


@pytest.mark.parametrize(
    "start",
    [datetime(9999, 12, 31, 23, 45, tzinfo=UTC), datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))],
)
async def test_an_interval_at_the_ends_of_the_calendar_is_a_dead_letter_at_once(
    feed: Feed, dead_letters: list[Any], start: datetime
) -> None:
    # Valid by the schema, but its customer day is out of datetime's range: without the check
    # the whole batch failed, was retried and went to the dead letters, good records too.
    meter = await feed.smart_contract()
    bad = message(day_start(date(2026, 3, 3)), 4)
    bad["data"]["readings"][2]["start"] = start.isoformat()
    await feed.publish(message(day_start(date(2026, 3, 2)), 96), bad)
    assert set(await feed.days()) == {(meter, CHANNEL, date(2026, 3, 2))}
    assert len(await feed.intervals()) == 96
    [dead] = dead_letters
    assert json.loads(dead.body) == bad
    assert dead.headers["dlt-error-type"] == "PermanentError"
    assert dead.headers["dlt-attempts"] == "1"
    assert "year 1 or 9999" in dead.headers["dlt-error"]


async def test_the_sums_equal_the_intervals_after_a_mixed_history(feed: Feed, tokens: TokenFactory) -> None:
    await feed.smart_contract()
    other = await feed.smart_contract("C-2", ean=OTHER_EAN)
    await feed.smart_contract("C-3", ean="871687120000000035", commodity="gas")
    start = day_start(date(2026, 3, 28))
    await feed.publish(
        message(start, 96 * 3, skip=range(100, 120)),  # over the spring DST day, with a gap
        message(start, 96 * 2, ean=OTHER_EAN),
        message(start, 24 * 5, ean="871687120000000035", channel="gas", minutes=60, unit="m3"),
        message(start + timedelta(days=3), 96, channel="electricity_feed_in"),
    )
    await feed.publish(
        message(start + timedelta(minutes=15 * 100), 30),  # fills the gap and overlaps
        message(datetime(2026, 3, 31, 21, 0, tzinfo=UTC), 8),  # across the month's end
        message(start, 96 * 2, ean=OTHER_EAN),  # a replay
    )
    await feed.assert_sums_match_intervals()
    assert (await feed.days())[(other, CHANNEL, date(2026, 3, 29))][1] == 92


async def test_a_day_row_holds_one_slot_per_interval_with_its_quality(feed: Feed) -> None:
    meter = await feed.smart_contract()
    start = day_start(date(2026, 3, 2))
    body = message(start, 4)
    body["data"]["readings"][1]["quality"] = "estimated"
    body["data"]["readings"][2]["quality"] = "substituted"
    await feed.publish(body, message(start + timedelta(hours=23), 4, value=lambda i: Decimal("0.000001")))
    async with feed.service.runtime.sessions() as session:
        day = await session.get(ConsumptionDay, (meter, CHANNEL, date(2026, 3, 2)))
    assert day is not None
    assert day.slot_qualities == "mesm" + "." * 88 + "mmmm"
    assert day.slot_values[:5] == [Decimal("0.1"), Decimal("0.101"), Decimal("0.102"), Decimal("0.103"), None]
    assert day.slot_values[92:] == [Decimal("0.000001")] * 4  # six decimals, exact
    await feed.assert_sums_match_intervals()


async def test_intervals_of_another_length_than_the_stored_day_are_a_dead_letter(
    feed: Feed, dead_letters: list[Any]
) -> None:
    meter = await feed.smart_contract()
    async with feed.service.runtime.sessions() as session:
        # A day stored in hours (as if the hub had once sent this channel hourly).
        session.add(
            ConsumptionDay(
                meter_id=meter,
                channel=CHANNEL,
                day=date(2026, 3, 3),
                total=Decimal(1),
                intervals=1,
                interval_minutes=60,
                slot_values=[Decimal(1)] + [None] * 23,
                slot_qualities="m" + "." * 23,
            )
        )
        await session.commit()
    # One record over the end of 2 March into 3 March: none of it is stored.
    bad = message(day_start(date(2026, 3, 3)) - timedelta(hours=1), 8)
    await feed.publish(message(day_start(date(2026, 3, 4)), 96), bad)
    days = await feed.days()
    assert set(days) == {(meter, CHANNEL, date(2026, 3, 3)), (meter, CHANNEL, date(2026, 3, 4))}
    assert days[(meter, CHANNEL, date(2026, 3, 3))] == (Decimal(1), 1)
    [dead] = dead_letters
    assert json.loads(dead.body) == bad
    assert "intervals of another length" in dead.headers["dlt-error"]
    assert EAN not in dead.headers["dlt-error"]
