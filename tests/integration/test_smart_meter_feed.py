"""Smart-meter consent and the interval feed on the real stack: the hub names a smart meter,
the customer consents through the gateway and metering asks the hub for the data
(SmartMeterDataRequested); the hub's interval batches arrive on Kafka late, out of order,
repeated and with a malformed and a foreign record; metering stores each interval once with
its daily sums (a 23-hour DST day), dead-letters the bad records with their reasons, and a
revocation deletes the data."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from portal_schemas import Envelope
from portal_schemas.hub import IntervalReadingsPublished

AMS = ZoneInfo("Europe/Amsterdam")
FEED = IntervalReadingsPublished.topic()


@pytest.fixture
def household(new_customer: Any, helpers: Any) -> Any:
    """An electricity customer with a portal account and the connection's EAN."""
    return new_customer(ean=helpers.new_ean())


def interval_batch(ean: str, start: datetime, count: int, *, batch_id: str | None = None) -> dict[str, Any]:
    """``count`` quarter hours from ``start``, each worth 0.25 kWh."""
    data = IntervalReadingsPublished.model_validate(
        {
            "batch_id": batch_id or uuid.uuid4().hex,
            "ean": ean,
            "channel": "electricity_consumption",
            "interval_minutes": 15,
            "unit": "kWh",
            "readings": [{"start": start + timedelta(minutes=15 * i), "value": "0.25"} for i in range(count)],
        }
    )
    body: dict[str, Any] = Envelope.wrap(data, subject=ean, producer="hub").model_dump(mode="json")
    return body


def test_consent_feed_dead_letters_and_revocation(
    gateway: httpx.Client, kafka: Any, databases: Any, helpers: Any, household: Any
) -> None:
    auth = helpers.log_in(gateway, household.email, household.password)
    contract_id, ean = household.contract_id, household.ean
    consent_url = f"/metering/v1/contracts/{contract_id}/smart-meter-consent"
    db = databases["metering"]  # metering's own tables, with its role: what the feed stored

    # metering knows the contract (ContractCreated) before the hub names its smart meter.
    known = helpers.eventually(lambda: gateway.get(consent_url, headers=auth).status_code == 200)
    assert known
    assert gateway.get(consent_url, headers=auth).json()["smart_meter"] is False
    refused = gateway.put(consent_url, headers=auth, json={"terms_version": 1})
    assert (refused.status_code, refused.json()["type"]) == (409, "/problems/no-smart-meter")

    installed = helpers.meter_installed(
        ean, f"SM-{uuid.uuid4().hex[:8]}", date(2026, 1, 1), {"electricity_single": (6, "100")}, smart=True
    )
    kafka.publish_event(installed, ean, "hub")
    helpers.eventually(lambda: gateway.get(consent_url, headers=auth).json()["smart_meter"])

    granted = gateway.put(consent_url, headers=auth, json={"terms_version": 1})
    assert granted.status_code == 200, granted.text
    assert granted.json()["status"] == "granted"
    [request] = [e["data"] for e in kafka.about("metering.smart-meter-data-requested.v1", ean)]
    assert request["ean"] == ean
    assert datetime.fromisoformat(request["data_from"]) == datetime(2026, 1, 1, tzinfo=AMS)

    # The hub answers. The spring DST day (2026-03-29, 23 hours: 92 quarter hours) comes in
    # two halves, the second first; the first half twice; an older day late; one record with
    # a negative value and one for a connection metering does not know.
    dst_day = datetime(2026, 3, 29, tzinfo=AMS).astimezone(UTC)
    first_half = interval_batch(ean, dst_day, 46)
    malformed = interval_batch(ean, datetime(2026, 3, 30, tzinfo=AMS), 4)
    malformed["data"]["readings"][0]["value"] = "-1"
    unknown = interval_batch(helpers.new_ean(), dst_day, 4)
    for body in (
        interval_batch(ean, dst_day + timedelta(minutes=15 * 46), 46),
        first_half,
        malformed,
        first_half,
        unknown,
        interval_batch(ean, datetime(2026, 3, 2, tzinfo=AMS).astimezone(UTC), 96),
    ):
        kafka.publish(FEED, json.dumps(body).encode(), key=body["data"]["ean"])

    [meter] = db.fetch("SELECT meter_id FROM meters WHERE contract_id = $1", contract_id)
    meter_id = meter["meter_id"]

    def stored() -> int:
        # The intervals with a value in the slots of the meter's day rows.
        return int(
            db.fetch(
                "SELECT count(v) AS n FROM consumption_days, unnest(slot_values) AS v WHERE meter_id = $1",
                meter_id,
            )[0]["n"]
        )

    helpers.eventually(lambda: stored() == 92 + 96, timeout=30)
    days = {
        r["day"]: (r["total"], r["intervals"])
        for r in db.fetch("SELECT day, total, intervals FROM consumption_days WHERE meter_id = $1", meter_id)
    }
    assert days == {date(2026, 3, 29): (Decimal(23), 92), date(2026, 3, 2): (Decimal(24), 96)}
    [month] = db.fetch("SELECT total, intervals FROM consumption_months WHERE meter_id = $1", meter_id)
    assert (month["total"], month["intervals"]) == (Decimal(47), 188)

    # The customer sees the day as 23 hours, all quarter hours received.
    shown = gateway.get(f"/metering/v1/contracts/{contract_id}/consumption/days/2026-03-29", headers=auth)
    assert shown.status_code == 200, shown.text
    [series] = [s for s in shown.json()["period"]["series"] if s["channel"] == "electricity_consumption"]
    assert len(series["points"]) == 23
    assert (Decimal(series["total"]["value"]), series["total"]["intervals_received"]) == (Decimal(23), 92)

    def dead_letter_for(batch_id: str, records: list[Any]) -> Any:
        for record in records:
            try:
                body = json.loads(record.value)
            except ValueError:
                continue
            if isinstance(body, dict) and body.get("data", {}).get("batch_id") == batch_id:
                return record
        return None

    for bad, reason in (
        (malformed, "data.readings.0.value"),
        (unknown, "unknown connection"),
    ):
        records = kafka.read(
            "metering.dead-letter.v1",
            lambda rs, b=bad: dead_letter_for(b["data"]["batch_id"], rs) is not None,
        )
        headers = {k: v.decode() for k, v in dead_letter_for(bad["data"]["batch_id"], records).headers}
        assert reason in headers["dlt-error"]
        assert headers["dlt-original-topic"] == FEED
        assert headers["dlt-consumer-group"] == "metering.interval-feed"
        assert bad["data"]["ean"] not in headers["dlt-error"]

    revoked = gateway.delete(consent_url, headers=auth)
    assert (revoked.status_code, revoked.json()["status"]) == (200, "revoked")
    assert stored() == 0
    assert db.fetch("SELECT day FROM consumption_days WHERE meter_id = $1", meter_id) == []
    assert db.fetch("SELECT month FROM consumption_months WHERE meter_id = $1", meter_id) == []
    events = kafka.about("metering.smart-meter-consent-revoked.v1", contract_id)
    assert [e["data"]["customer_number"] for e in events] == [household.customer_number]
