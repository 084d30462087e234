"""Consumption views through the gateway, over smart-meter data that arrives as the grid
operators' hub publishes it: the meter placement (MeterInstalled, smart) first, then batches
of interval readings (IntervalReadingsPublished) on hub.interval-readings-published.v1.

A heat contract shows heat (GJ) and hot tap water (m3) by month, with the year before; an
electricity contract shows nothing before the customer's consent, then consumption and
feed-in apart, the 23-hour day of March 2026, a gap, the total since the meter was placed
and the CSV export."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from portal_schemas.hub import IntervalReading, IntervalReadingsPublished

AMS = ZoneInfo("Europe/Amsterdam")


def steps(day: date, minutes: int) -> list[datetime]:
    start = datetime.combine(day, datetime.min.time(), tzinfo=AMS)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=AMS)
    count = int((end - start).total_seconds()) // (minutes * 60)
    return [start + timedelta(minutes=minutes * n) for n in range(count)]


def intervals(
    kafka: Any, connection: str, channel: str, minutes: int, unit: str, starts: list[datetime], value: str
) -> None:
    kafka.publish_event(
        IntervalReadingsPublished.model_validate(
            {
                "batch_id": uuid.uuid4().hex,
                "ean": connection,
                "channel": channel,
                "interval_minutes": minutes,
                "unit": unit,
                "readings": [IntervalReading.model_validate({"start": s, "value": value}) for s in starts],
            }
        ),
        connection,
        "hub",
    )


def series(body: dict[str, Any], name: str, period: dict[str, Any] | None = None) -> dict[str, Any]:
    return next(s for s in (period or body["period"])["series"] if s["name"] == name)


def test_heat_and_electricity_consumption_through_the_gateway(
    gateway: httpx.Client, kafka: Any, cli: Any, new_customer: Any, helpers: Any
) -> None:
    heat_ean, power_ean = helpers.new_ean(), helpers.new_ean()
    common = {"start_date": "2025-01-01", "meter_location": "indoors"}
    customer = new_customer(**common, fixed_term_end="2027-12-31", ean=power_ean, annual_kwh="3000")
    power = customer.contract_id
    heat = cli.create_contract(customer.customer_number, **common, commodity="heat", product_code="WARMTE",
                               fixed_term_end=None, ean=heat_ean, annual_gj="30", annual_m3="40")  # fmt: skip
    auth = helpers.log_in(gateway, customer.email, customer.password)

    def view(contract_id: str, path: str) -> httpx.Response:
        return gateway.get(f"/metering/v1/contracts/{contract_id}/consumption{path}", headers=auth)

    # Metering learns both contracts from contracts' events, then the placements from the hub.
    helpers.eventually(lambda: view(heat, "/years/2026").status_code == 200, timeout=30)
    before_consent = helpers.eventually(
        lambda: (r := view(power, "/months/2026-03")).status_code != 404 and r
    )
    assert before_consent.status_code == 403, before_consent.text
    assert before_consent.json()["type"] == "/problems/smart-meter-consent-required"
    assert view(str(uuid.uuid4()), "/months/2026-03").status_code == 404

    for connection, registers in (
        (heat_ean, {"heat": (6, "100"), "hot_water": (6, "20")}),
        (power_ean, {"electricity_single": (6, "5000"), "feed_in_normal": (6, "10")}),
    ):
        serial = f"S{uuid.uuid4().hex[:10]}"
        placed = helpers.meter_installed(connection, serial, date(2025, 1, 1), registers, smart=True)
        kafka.publish_event(placed, connection, "hub")

    def consent() -> bool:
        current = gateway.get(f"/metering/v1/contracts/{power}/smart-meter-consent", headers=auth).json()
        granted = gateway.put(
            f"/metering/v1/contracts/{power}/smart-meter-consent",
            headers=auth,
            json={"terms_version": current["current_terms_version"]},
        )
        return granted.status_code == 200  # 409 no-smart-meter until the placement is applied

    helpers.eventually(consent, timeout=30)

    # Heat: hourly, a January day in 2026 and in 2025; hot tap water two hours.
    intervals(kafka, heat_ean, "heat", 60, "GJ", steps(date(2026, 1, 10), 60), "0.01")
    intervals(kafka, heat_ean, "heat", 60, "GJ", steps(date(2025, 1, 10), 60), "0.02")
    intervals(kafka, heat_ean, "hot_water", 60, "m3", steps(date(2026, 1, 10), 60)[7:9], "0.05")
    # Electricity: the 23-hour day complete, the next day with one hour missing, feed-in apart.
    spring = steps(date(2026, 3, 29), 15)
    gap_day = steps(date(2026, 3, 30), 15)
    intervals(kafka, power_ean, "electricity_consumption", 15, "kWh", spring, "0.25")
    intervals(kafka, power_ean, "electricity_consumption", 15, "kWh", gap_day[:40] + gap_day[44:], "0.1")
    intervals(kafka, power_ean, "electricity_feed_in", 15, "kWh", spring[48:56], "0.5")
    # The hub repeats a batch now and then: nothing counts twice.
    intervals(kafka, power_ean, "electricity_consumption", 15, "kWh", spring[:4], "0.25")

    def heat_year() -> dict[str, Any] | None:
        body = view(heat, "/years/2026?compare_years=1").json()
        hot_water = series(body, "hot_water")["points"][0]["value"]
        earlier = series(body, "heat", body["earlier"][0])["points"][0]["value"]
        return body if hot_water is not None and earlier is not None else None

    body = helpers.eventually(heat_year, timeout=60)
    january = series(body, "heat")["points"][0]
    assert (series(body, "heat")["unit"], january["label"], january["value"]) == ("GJ", "2026-01", "0.240")
    assert (january["intervals_received"], january["intervals_expected"]) == (24, 31 * 24)
    assert series(body, "hot_water")["unit"] == "m3"
    assert series(body, "hot_water")["points"][0]["value"] == "0.100"
    last_year = body["earlier"][0]
    assert last_year["label"] == "2025"
    assert series(body, "heat", last_year)["points"][0]["value"] == "0.480"
    assert series(body, "heat", last_year)["points"][1]["value"] is None  # February 2025: a gap

    def spring_day() -> dict[str, Any] | None:
        body = view(power, "/days/2026-03-29?resolution=quarter_hour").json()
        total = series(body, "consumption")["total"]
        feed_in = series(body, "feed_in")["total"]
        return body if total["complete"] and feed_in["intervals_received"] == 8 else None

    day = helpers.eventually(spring_day, timeout=60)
    use = series(day, "consumption")
    assert len(use["points"]) == 92
    assert (use["unit"], use["total"]["value"], use["total"]["intervals_expected"]) == ("kWh", "23.000", 92)
    assert use["points"][8]["label"] == "2026-03-29T03:00:00+02:00"
    assert series(day, "feed_in")["total"]["value"] == "4.000"  # apart, never netted
    hours = series(view(power, "/days/2026-03-29").json(), "consumption")["points"]
    assert len(hours) == 23 and {h["value"] for h in hours} == {"1.000"}

    def march() -> dict[str, Any] | None:
        body = view(power, "/months/2026-03").json()
        return body if series(body, "consumption")["points"][29]["intervals_received"] == 92 else None

    month = helpers.eventually(march, timeout=60)
    days = series(month, "consumption")["points"]
    assert (days[28]["value"], days[28]["complete"]) == ("23.000", True)
    assert (days[29]["value"], days[29]["intervals_expected"], days[29]["complete"]) == ("9.200", 96, False)
    assert (days[30]["value"], days[30]["intervals_received"]) == (None, 0)  # a gap, not zero
    gap_hour = series(view(power, "/days/2026-03-30").json(), "consumption")["points"][10]
    assert (gap_hour["value"], gap_hour["intervals_expected"]) == (None, 4)
    # Since the smart meter was placed: both days, feed-in apart, the repeated batch once.
    since = view(power, "").json()
    assert since["since"] == "2025-01-01"
    totals = {
        s["name"]: (s["unit"], s["total"]["value"], s["total"]["intervals_received"]) for s in since["series"]
    }
    assert totals["consumption"] == ("kWh", "32.200", 92 + 92)
    assert totals["feed_in"] == ("kWh", "4.000", 8)

    export = view(power, "/export.csv?from=2026-03-29&to=2026-03-30&resolution=hour")
    assert export.status_code == 200, export.text
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"].startswith("attachment; filename=")
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0][:5] == ["start", "end", "series", "unit", "value"]
    assert len(rows) == 1 + (23 + 24) * 2
    assert ["2026-03-29T03:00:00+02:00", "2026-03-29T04:00:00+02:00", "consumption", "kWh", "1.000"] in [
        r[:5] for r in rows
    ]
    assert ["2026-03-30T10:00:00+02:00", "2026-03-30T11:00:00+02:00", "consumption", "kWh", ""] in [
        r[:5] for r in rows
    ]
    too_long = view(power, "/export.csv?from=2025-01-01&to=2026-01-02")
    assert too_long.status_code == 422
    assert too_long.json()["type"] == "/problems/period-too-long"
