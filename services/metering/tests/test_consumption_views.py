"""/v1/contracts/{id}/consumption: totals, year by month, month by day, day by hour and quarter
hour, earlier years and the CSV export, over day rows (with their slots) and monthly sums put
straight into the tables (as the interval feed keeps them)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from metering.db.tables import (
    CONSENT_GRANTED,
    CONSENT_REVOKED,
    ConsumptionDay,
    ConsumptionMonth,
    Meter,
    SmartMeterConsent,
)
from portal_chassis.calendar import start_of_day
from portal_chassis.testing import Harness, TokenFactory

AMS = ZoneInfo("Europe/Amsterdam")
CUSTOMER = "100001"
OTHER = "200002"
BASE = "/v1/contracts/{}/consumption"
PATHS = [
    "",
    "/years/2026",
    "/months/2026-03",
    "/days/2026-03-29",
    "/export.csv?from=2026-01-01&to=2026-01-31",
]


class Data:
    """Meters, consents and interval data as the consumers and the feed would leave them."""

    def __init__(self, service: Harness, contracts: Any) -> None:
        self.service = service
        self.contracts = contracts

    async def contract(
        self,
        contract_id: str,
        commodity: str = "electricity",
        *,
        start: date = date(2024, 1, 1),
        consent: bool = True,
        customer: str = CUSTOMER,
        smart: bool = True,
    ) -> str:
        """A contract whose meter is smart (and, for electricity and gas, consented): its meter id."""
        await self.contracts.created(
            contract_id, customer_number=customer, commodity=commodity, start_date=start
        )
        async with self.service.runtime.sessions() as session:
            meter = (await session.scalars(select(Meter).where(Meter.contract_id == contract_id))).one()
            meter.smart, meter.serial = smart, f"S-{contract_id}"
            if consent:
                session.add(
                    SmartMeterConsent(
                        contract_id=contract_id,
                        customer_number=customer,
                        status=CONSENT_GRANTED,
                        terms_version=1,
                        granted_at=datetime.now(UTC),
                    )
                )
            await session.commit()
            return meter.meter_id

    async def exchange(self, meter_id: str, on: date) -> str:
        async with self.service.runtime.sessions() as session:
            old = await session.get(Meter, meter_id)
            assert old is not None
            old.removed_on = on
            new = Meter(
                meter_id=str(uuid.uuid4()),
                contract_id=old.contract_id,
                customer_number=old.customer_number,
                commodity=old.commodity,
                ean=old.ean,
                serial="S-new",
                smart=True,
                installed_on=on,
                created_at=datetime.now(UTC),
            )
            session.add(new)
            await session.commit()
            return new.meter_id

    async def consent(self, contract_id: str, *, status: str, terms_version: int = 1) -> None:
        async with self.service.runtime.sessions() as session:
            consent = await session.get(SmartMeterConsent, contract_id)
            assert consent is not None
            consent.status, consent.terms_version = status, terms_version
            await session.commit()

    async def intervals(
        self,
        meter_id: str,
        channel: str,
        starts: Iterable[datetime],
        value: str,
        minutes: int = 15,
    ) -> None:
        """Intervals of ``value`` each in the slots of their customer days, and the daily and
        monthly sums, as the feed keeps them."""
        days: dict[date, list[datetime]] = {}
        for start in starts:
            days.setdefault(start.astimezone(AMS).date(), []).append(start)
        async with self.service.runtime.sessions() as session:
            for day, day_starts in days.items():
                first = start_of_day(day, AMS)
                row = await session.get(ConsumptionDay, (meter_id, channel, day))
                if row is None:
                    slots = (start_of_day(day + timedelta(days=1), AMS) - first) // timedelta(minutes=minutes)
                    row = ConsumptionDay(
                        meter_id=meter_id,
                        channel=channel,
                        day=day,
                        total=Decimal(0),
                        intervals=0,
                        interval_minutes=minutes,
                        slot_values=[None] * slots,
                        slot_qualities="." * slots,
                    )
                    session.add(row)
                values = list(row.slot_values)
                qualities = list(row.slot_qualities)
                for start in day_starts:
                    slot = (start - first) // timedelta(minutes=minutes)
                    values[slot], qualities[slot] = Decimal(value), "m"
                row.slot_values, row.slot_qualities = values, "".join(qualities)
                row.total += Decimal(value) * len(day_starts)
                row.intervals += len(day_starts)
                await self._add(
                    session,
                    ConsumptionMonth,
                    meter_id,
                    channel,
                    "month",
                    day.replace(day=1),
                    [Decimal(value)] * len(day_starts),
                    minutes,
                )
            await session.commit()

    async def months(self, meter_id: str, channel: str, totals: dict[date, tuple[str, int]]) -> None:
        """Monthly sums alone (for the year view): month -> (total, intervals)."""
        async with self.service.runtime.sessions() as session:
            for month, (total, count) in totals.items():
                session.add(
                    ConsumptionMonth(
                        meter_id=meter_id,
                        channel=channel,
                        month=month,
                        total=Decimal(total),
                        intervals=count,
                        interval_minutes=60,
                    )
                )
            await session.commit()

    @staticmethod
    async def _add(
        session: Any,
        table: Any,
        meter_id: str,
        channel: str,
        key: str,
        at: date,
        values: list[Decimal],
        minutes: int,
    ) -> None:
        row = await session.get(table, (meter_id, channel, at))
        if row is None:
            row = table(
                meter_id=meter_id, channel=channel, total=Decimal(0), intervals=0, interval_minutes=minutes
            )
            setattr(row, key, at)
            session.add(row)
        row.total += sum(values, Decimal(0))
        row.intervals += len(values)


@pytest.fixture
def data(service: Harness, contracts: Any) -> Data:
    return Data(service, contracts)


def quarters(day: date, skip: Iterable[int] = ()) -> list[datetime]:
    """The quarter-hour starts of a customer day, without the ones at the indexes in ``skip``."""
    start, end = start_of_day(day, AMS), start_of_day(day + timedelta(days=1), AMS)
    count = int((end - start).total_seconds()) // 900
    skipped = set(skip)
    return [start + timedelta(minutes=15 * n) for n in range(count) if n not in skipped]


def hours(day: date) -> list[datetime]:
    start, end = start_of_day(day, AMS), start_of_day(day + timedelta(days=1), AMS)
    return [start + timedelta(hours=n) for n in range(int((end - start).total_seconds()) // 3600)]


async def get(service: Harness, tokens: TokenFactory, path: str, customer: str = CUSTOMER) -> httpx.Response:
    return await service.client.get(path, headers=tokens.headers(customer))


def series(body: dict[str, Any], name: str) -> dict[str, Any]:
    [found] = [s for s in body["period"]["series"] if s["name"] == name]
    return found


async def test_the_spring_dst_day_has_23_hours_and_92_quarter_hours(service, tokens, data) -> None:
    meter = await data.contract("C-1")
    await data.intervals(meter, "electricity_consumption", quarters(date(2026, 3, 29)), "0.25")

    body = (
        await get(service, tokens, BASE.format("C-1") + "/days/2026-03-29?resolution=quarter_hour")
    ).json()
    assert body["resolution"] == "quarter_hour" and body["time_zone"] == "Europe/Amsterdam"
    use = series(body, "consumption")
    assert (use["unit"], use["interval_minutes"]) == ("kWh", 15)
    assert len(use["points"]) == 92
    assert use["points"][0]["start"] == "2026-03-28T23:00:00Z"
    assert use["points"][0]["label"] == "2026-03-29T00:00:00+01:00"
    assert use["points"][8]["label"] == "2026-03-29T03:00:00+02:00"  # 02:00-03:00 never was
    assert use["total"] | {"start": None, "end": None, "label": None} == {
        "start": None,
        "end": None,
        "label": None,
        "value": "23.000",
        "intervals_received": 92,
        "intervals_expected": 92,
        "complete": True,
    }

    by_hour = (await get(service, tokens, BASE.format("C-1") + "/days/2026-03-29")).json()
    points = series(by_hour, "consumption")["points"]
    assert len(points) == 23
    assert {(p["value"], p["intervals_received"], p["intervals_expected"]) for p in points} == {
        ("1.000", 4, 4)
    }

    march = (await get(service, tokens, BASE.format("C-1") + "/months/2026-03")).json()
    days = series(march, "consumption")["points"]
    assert len(days) == 31
    assert days[28] | {"start": None, "end": None} == {
        "start": None,
        "end": None,
        "label": "2026-03-29",
        "value": "23.000",
        "intervals_received": 92,
        "intervals_expected": 92,
        "complete": True,
    }
    assert (days[29]["value"], days[29]["intervals_expected"]) == (None, 96)  # a gap, not zero


async def test_the_autumn_dst_day_has_25_hours_and_100_quarter_hours(service, tokens, data) -> None:
    meter = await data.contract("C-1")
    await data.intervals(meter, "electricity_consumption", quarters(date(2026, 10, 25)), "0.1")

    by_hour = (await get(service, tokens, BASE.format("C-1") + "/days/2026-10-25")).json()
    use = series(by_hour, "consumption")
    assert len(use["points"]) == 25
    assert [p["label"] for p in use["points"][2:4]] == [
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
    ]
    assert [p["start"] for p in use["points"][2:4]] == ["2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z"]
    assert {p["value"] for p in use["points"]} == {"0.400"}
    assert (use["total"]["value"], use["total"]["intervals_expected"]) == ("10.000", 100)
    assert use["total"]["complete"] is True

    quarter = (
        await get(service, tokens, BASE.format("C-1") + "/days/2026-10-25?resolution=quarter_hour")
    ).json()
    assert len(series(quarter, "consumption")["points"]) == 100

    october = (await get(service, tokens, BASE.format("C-1") + "/months/2026-10")).json()
    day = series(october, "consumption")["points"][24]
    assert (day["value"], day["intervals_received"], day["intervals_expected"]) == ("10.000", 100, 100)
    month = series(october, "consumption")["total"]
    assert (month["intervals_received"], month["intervals_expected"]) == (100, 31 * 96 + 4)
    assert month["complete"] is False


async def test_gaps_stay_null_and_partial_points_say_so(service, tokens, data) -> None:
    meter = await data.contract("C-1")
    # 2026-03-10: the hour from 10:00 missing, one quarter of the hour from 14:00 missing.
    await data.intervals(
        meter, "electricity_consumption", quarters(date(2026, 3, 10), skip=[40, 41, 42, 43, 56]), "0.5"
    )

    day = (await get(service, tokens, BASE.format("C-1") + "/days/2026-03-10")).json()
    points = series(day, "consumption")["points"]
    assert points[10] | {"start": None, "end": None} == {
        "start": None,
        "end": None,
        "label": "2026-03-10T10:00:00+01:00",
        "value": None,
        "intervals_received": 0,
        "intervals_expected": 4,
        "complete": False,
    }
    assert (points[14]["value"], points[14]["intervals_received"], points[14]["complete"]) == (
        "1.500",
        3,
        False,
    )
    assert (points[9]["value"], points[9]["complete"]) == ("2.000", True)

    month = (await get(service, tokens, BASE.format("C-1") + "/months/2026-03")).json()
    days = series(month, "consumption")["points"]
    assert (days[9]["value"], days[9]["intervals_received"], days[9]["intervals_expected"]) == (
        "45.500",
        91,
        96,
    )
    assert days[9]["complete"] is False
    assert (days[10]["value"], days[10]["intervals_received"]) == (None, 0)
    # No feed-in at all: a gap too, never 0.
    feed_in = series(month, "feed_in")
    assert feed_in["total"]["value"] is None and feed_in["unit"] == "kWh"


async def test_feed_in_is_shown_apart_from_consumption(service, tokens, data) -> None:
    meter = await data.contract("C-1")
    day = date(2026, 6, 21)
    await data.intervals(meter, "electricity_consumption", quarters(day), "0.2")
    await data.intervals(meter, "electricity_feed_in", quarters(day)[40:72], "0.75")

    body = (await get(service, tokens, BASE.format("C-1") + "/months/2026-06")).json()
    assert [s["name"] for s in body["period"]["series"]] == ["consumption", "feed_in"]
    use, feed_in = series(body, "consumption"), series(body, "feed_in")
    assert (use["channel"], feed_in["channel"]) == ("electricity_consumption", "electricity_feed_in")
    assert use["points"][20]["value"] == "19.200"
    assert (feed_in["points"][20]["value"], feed_in["points"][20]["intervals_received"]) == ("24.000", 32)
    assert feed_in["points"][20]["complete"] is False  # the night sends no feed-in intervals


async def test_gas_and_heat_series_and_units(service, tokens, data) -> None:
    gas = await data.contract("C-G", "gas")
    await data.intervals(gas, "gas", hours(date(2026, 1, 15)), "0.125", minutes=60)
    body = (await get(service, tokens, BASE.format("C-G") + "/days/2026-01-15")).json()
    [only] = body["period"]["series"]
    assert (only["name"], only["unit"], only["interval_minutes"]) == ("gas", "m3", 60)
    assert (only["total"]["value"], only["total"]["intervals_expected"], only["total"]["complete"]) == (
        "3.000",
        24,
        True,
    )
    refused = await get(service, tokens, BASE.format("C-G") + "/days/2026-01-15?resolution=quarter_hour")
    assert refused.status_code == 422
    assert refused.json()["type"] == "/problems/resolution-not-available"

    heat = await data.contract("C-H", "heat", consent=False)  # read by the supplier: no consent asked
    await data.intervals(heat, "heat", hours(date(2026, 2, 1)), "0.01", minutes=60)
    await data.intervals(heat, "hot_water", hours(date(2026, 2, 1))[7:9], "0.05", minutes=60)
    body = (await get(service, tokens, BASE.format("C-H") + "/years/2026")).json()
    assert body["commodity"] == "heat" and body["resolution"] == "month"
    assert [(s["name"], s["unit"]) for s in body["period"]["series"]] == [("heat", "GJ"), ("hot_water", "m3")]
    february = series(body, "heat")["points"][1]
    assert (february["label"], february["value"], february["intervals_received"]) == ("2026-02", "0.240", 24)
    assert february["intervals_expected"] == 28 * 24
    assert series(body, "hot_water")["points"][1]["value"] == "0.100"
    assert series(body, "heat")["points"][0]["value"] is None  # January: no data


async def test_earlier_years_are_the_same_period(service, tokens, data) -> None:
    meter = await data.contract("C-H", "heat", start=date(2025, 3, 1), consent=False)
    await data.months(
        meter,
        "heat",
        {date(2026, 1, 1): ("1.5", 744), date(2025, 1, 1): ("9", 744), date(2025, 3, 1): ("1.25", 743)},
    )
    body = (await get(service, tokens, BASE.format("C-H") + "/years/2026?compare_years=2")).json()
    assert [p["label"] for p in [body["period"], *body["earlier"]]] == ["2026", "2025", "2024"]
    this_year, last_year, before = (
        next(s for s in p["series"] if s["name"] == "heat") for p in [body["period"], *body["earlier"]]
    )
    assert this_year["points"][0]["value"] == "1.500"
    # January 2025 was before the contract: the stored sum shows, but nothing was expected.
    assert (last_year["points"][0]["value"], last_year["points"][0]["intervals_expected"]) == ("9.000", 0)
    assert last_year["points"][2] | {"start": None, "end": None} == {
        "start": None,
        "end": None,
        "label": "2025-03",
        "value": "1.250",
        "intervals_received": 743,
        "intervals_expected": 743,  # 31 days, one hour less for DST
        "complete": True,
    }
    assert before["total"] | {"start": None, "end": None} == {
        "start": None,
        "end": None,
        "label": "2024",
        "value": None,
        "intervals_received": 0,
        "intervals_expected": 0,
        "complete": False,
    }

    feb = await data.contract("C-E", "electricity", start=date(2024, 1, 1))
    await data.intervals(feb, "electricity_consumption", quarters(date(2024, 2, 29)), "0.01")
    await data.intervals(feb, "electricity_consumption", quarters(date(2026, 2, 28)), "0.02")
    body = (await get(service, tokens, BASE.format("C-E") + "/months/2026-02?compare_years=2")).json()
    labels = [p["label"] for p in [body["period"], *body["earlier"]]]
    assert labels == ["2026-02", "2025-02", "2024-02"]
    leap = next(s for s in body["earlier"][1]["series"] if s["name"] == "consumption")
    assert len(leap["points"]) == 29 and leap["points"][28]["value"] == "0.960"
    assert series(body, "consumption")["points"][27]["value"] == "1.920"
    assert body["earlier"][0]["series"][0]["total"]["value"] is None


async def test_meters_of_an_exchange_are_summed(service, tokens, data) -> None:
    old = await data.contract("C-1")
    new = await data.exchange(old, date(2026, 5, 20))
    day = quarters(date(2026, 5, 20))
    await data.intervals(old, "electricity_consumption", day[:40], "0.1")
    await data.intervals(new, "electricity_consumption", day[40:], "0.2")
    await data.intervals(new, "electricity_consumption", quarters(date(2026, 5, 21)), "0.2")

    body = (await get(service, tokens, BASE.format("C-1") + "/months/2026-05")).json()
    points = series(body, "consumption")["points"]
    assert (points[19]["value"], points[19]["intervals_received"], points[19]["complete"]) == (
        "15.200",
        96,
        True,
    )
    assert points[20]["value"] == "19.200"
    hourly = (await get(service, tokens, BASE.format("C-1") + "/days/2026-05-20")).json()
    assert series(hourly, "consumption")["total"]["value"] == "15.200"

    total = (await get(service, tokens, BASE.format("C-1"))).json()
    assert total["since"] == "2024-01-01"
    [use] = [s for s in total["series"] if s["name"] == "consumption"]
    assert (use["unit"], use["total"]["value"], use["total"]["intervals_received"]) == ("kWh", "34.400", 192)
    assert use["total"]["complete"] is False


async def test_csv_export(service, tokens, data) -> None:
    meter = await data.contract("C-1")
    await data.intervals(meter, "electricity_consumption", quarters(date(2026, 10, 25)), "0.1")
    await data.intervals(meter, "electricity_feed_in", quarters(date(2026, 10, 25))[:4], "0.05")

    response = await get(
        service, tokens, BASE.format("C-1") + "/export.csv?from=2026-10-24&to=2026-10-26&resolution=hour"
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="consumption-C-1-2026-10-24-2026-10-26.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "start",
        "end",
        "series",
        "unit",
        "value",
        "intervals_received",
        "intervals_expected",
        "complete",
    ]
    assert len(rows) == 1 + (24 + 25 + 24) * 2
    by_start = {(r[0], r[2]): r for r in rows[1:]}
    assert by_start[("2026-10-25T02:00:00+01:00", "consumption")] == [
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
        "consumption",
        "kWh",
        "0.400",
        "4",
        "4",
        "true",
    ]
    assert by_start[("2026-10-25T00:00:00+02:00", "feed_in")][4:] == ["0.200", "4", "4", "true"]
    assert by_start[("2026-10-24T12:00:00+02:00", "consumption")][4:] == ["", "0", "4", "false"]  # gap

    daily = await get(service, tokens, BASE.format("C-1") + "/export.csv?from=2026-10-24&to=2026-10-26")
    rows = list(csv.reader(io.StringIO(daily.text)))
    assert [r[0] for r in rows[1::2]] == [
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
    ]
    assert rows[3] == [
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        "consumption",
        "kWh",
        "10.000",
        "100",
        "100",
        "true",
    ]

    quarter = await get(
        service,
        tokens,
        BASE.format("C-1") + "/export.csv?from=2026-10-25&to=2026-10-25&resolution=quarter_hour",
    )
    assert len(quarter.text.splitlines()) == 1 + 100 * 2

    leap_year = await get(service, tokens, BASE.format("C-1") + "/export.csv?from=2024-01-01&to=2024-12-31")
    assert leap_year.status_code == 200  # 366 days


async def test_electricity_and_gas_need_current_consent(service, tokens, data) -> None:
    await data.contract("C-1", consent=False)
    await data.contract("C-2", "gas")
    await data.contract("C-H", "heat", consent=False)
    paths = [
        "",
        "/years/2026",
        "/months/2026-03",
        "/days/2026-03-29",
        "/export.csv?from=2026-01-01&to=2026-01-31",
    ]
    for path in paths:
        response = await get(service, tokens, BASE.format("C-1") + path)
        assert response.status_code == 403, path
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["type"] == "/problems/smart-meter-consent-required"
        assert (await get(service, tokens, BASE.format("C-H") + path)).status_code == 200, path
        assert (await get(service, tokens, BASE.format("C-2") + path)).status_code == 200, path

    await data.consent("C-2", status=CONSENT_REVOKED)
    assert (await get(service, tokens, BASE.format("C-2") + "/months/2026-03")).status_code == 403
    await data.consent("C-2", status=CONSENT_GRANTED, terms_version=0)  # terms since renewed
    assert (await get(service, tokens, BASE.format("C-2") + "/months/2026-03")).status_code == 403


async def test_someone_elses_or_an_unknown_contract_is_not_found(service, tokens, data) -> None:
    await data.contract("C-9", customer=OTHER)
    for contract_id in ("C-9", "NOPE"):
        for path in [*PATHS, "/days/2026-03-29?resolution=quarter_hour"]:
            response = await get(service, tokens, BASE.format(contract_id) + path)
            assert response.status_code == 404, (contract_id, path)
            assert response.json()["type"] == "/problems/contract-not-found"
    unauthenticated = await service.client.get(BASE.format("C-9") + "/months/2026-03")
    assert unauthenticated.status_code == 401


@pytest.mark.parametrize(
    ("path", "slug", "field"),
    [
        ("/months/2026-13", "validation", "path.month"),
        ("/months/26-03", "validation", "path.month"),
        ("/months/1999-12", "validation", "path.month"),
        ("/days/2026-02-30", "validation", "path.day"),
        ("/days/2026-3-1", "validation", "path.day"),
        ("/years/1999", "validation", "path.year"),
        ("/years/2026?compare_years=6", "validation", "query.compare_years"),
        ("/days/2026-03-29?resolution=minute", "validation", "query.resolution"),
        ("/export.csv?from=2026-03-01&to=2026-02-28", "invalid-period", None),
        ("/export.csv?from=2025-01-01&to=2026-01-02", "period-too-long", None),  # 367 days
        ("/export.csv?from=2026-01-01&to=2026-01-31&resolution=week", "validation", "query.resolution"),
        ("/export.csv?from=2026-01-01", "validation", "query.to"),
    ],
)
async def test_bad_input_is_a_clear_problem(
    service, tokens, data, path: str, slug: str, field: str | None
) -> None:
    await data.contract("C-1")
    response = await get(service, tokens, BASE.format("C-1") + path)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert problem["type"] == f"/problems/{slug}"
    if field is not None:
        assert field in [e["field"] for e in problem["errors"]]


async def test_without_a_smart_meter_nothing_is_expected(service, tokens, data) -> None:
    await data.contract("C-1", smart=False)
    total = (await get(service, tokens, BASE.format("C-1"))).json()
    assert total["since"] is None
    assert [(s["name"], s["total"]["value"], s["total"]["intervals_expected"]) for s in total["series"]] == [
        ("consumption", None, 0),
        ("feed_in", None, 0),
    ]
    month = (await get(service, tokens, BASE.format("C-1") + "/months/2026-03")).json()
    assert {p["intervals_expected"] for p in series(month, "consumption")["points"]} == {0}
