"""Operations tooling on the running suite: /metrics, redriving dead letters, rotating
identity's signing keys (docs/operations.md)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import httpx
import jwt
from prometheus_client.parser import text_string_to_metric_families

from portal_schemas.hub import MeterInstalled

# One customer endpoint per service: 401 means the access token was refused.
SIGNED_IN = {
    "identity": "/identity/v1/me",
    "contracts": "/contracts/v1/contracts",
    "metering": "/metering/v1/readings",
    "billing": "/billing/v1/invoices",
    "notifications": "/notifications/v1/messages",
}


def metrics(stack: Any, service: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    response = httpx.get(f"{stack.services[service].url}/metrics", timeout=10)
    assert response.status_code == 200
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_metrics_show_lag_and_backlog_and_stay_behind_the_gateway(
    stack: Any, gateway: httpx.Client, kafka: Any, helpers: Any
) -> None:
    topic = MeterInstalled.topic()
    group = {("group", "metering.meter-installed"), ("topic", topic), ("service", "metering")}

    def lag_of(figures: dict[Any, float], name: str) -> dict[str, float]:
        return {
            dict(labels)["partition"]: value
            for (metric, labels), value in figures.items()
            if metric == name and group <= labels
        }

    service = ("service", "metering")
    letters = ("portal_dead_letters_total", frozenset({service, ("topic", "metering.dead-letter.v1")}))
    earlier = metrics(stack, "metering")
    before = lag_of(earlier, "portal_topic_end_offset")
    assert sorted(before) == ["0", "1", "2"]  # every partition of the group's topic
    key = str(uuid.uuid4())
    kafka.publish(topic, b"not an event", key=key)  # set aside as a dead letter, so handled
    kafka.keyed("metering.dead-letter.v1", key)

    def caught_up() -> dict[Any, float] | None:
        figures = metrics(stack, "metering")
        ends = lag_of(figures, "portal_topic_end_offset")
        moved = sum(ends.values()) == sum(before.values()) + 1
        return figures if moved and not any(lag_of(figures, "portal_consumer_lag").values()) else None

    figures = helpers.eventually(caught_up, timeout=30, interval=1)  # figures are cached ~5 s
    # Handled (no lag) means set aside: the dead-letter topic holds one more, whichever
    # instance wrote it; nothing waits in metering's outbox.
    assert figures[letters] == earlier[letters] + 1
    assert figures[("portal_outbox_pending_events", frozenset({service}))] == 0
    assert figures[("portal_outbox_oldest_pending_age_seconds", frozenset({service}))] == 0
    assert figures[("portal_kafka_connected", frozenset({service}))] == 1

    # Prometheus reaches the services inside the network; the gateway never routes /metrics.
    for path in ("/metering/metrics", "/billing//metrics", "/identity/metrics/"):
        refused = gateway.get(path)
        assert refused.status_code == 404, path
        assert "portal_" not in refused.text
    assert gateway.get("/metering/health").status_code == 200


def test_a_dead_letter_redriven_after_the_cause_is_fixed_is_applied_once(
    cli: Any, kafka: Any, databases: Any, helpers: Any
) -> None:
    ean, serial = helpers.new_ean(), f"DL-{uuid.uuid4().hex[:8]}"
    installed = helpers.meter_installed(
        ean, serial, date(2026, 1, 1), {"electricity_single": (6, "10")}, smart=False
    )
    kafka.publish_event(installed, ean, "hub")  # no contract supplies this EAN yet: a dead letter
    [letter] = kafka.keyed("metering.dead-letter.v1", ean)
    assert dict(letter.headers)["dlt-original-topic"].decode() == MeterInstalled.topic()

    # The cause fixed: the contract for the connection arrives; metering learns it.
    contract_id = cli.create_contract(helpers.new_customer_number(), ean=ean)
    kafka.wait_until_handled("contracts.contract-created.v1", contract_id, "metering.contract-created")

    assert cli("metering", "dead-letters", "redrive", "--offset", str(letter.offset)) == (
        "1 dead letter(s) redriven"
    )
    meters = "SELECT count(*) AS n FROM meters WHERE serial = $1"
    helpers.eventually(lambda: databases["metering"].fetch(meters, serial)[0]["n"] == 1, timeout=30)

    # Redriven twice by mistake: the copy is dropped (the inbox knows the event id).
    cli("metering", "dead-letters", "redrive", "--offset", str(letter.offset))
    copy = kafka.wait_until_handled(MeterInstalled.topic(), ean, "metering.meter-installed")
    assert dict(copy.headers)["redriven-from"].decode() == f"metering.dead-letter.v1:0:{letter.offset}"
    assert "dlt-error" not in dict(copy.headers)
    assert databases["metering"].fetch(meters, serial)[0]["n"] == 1
    assert len(kafka.keyed("metering.dead-letter.v1", ean)) == 1  # and nothing failed again


def test_signing_key_rotation_and_retirement(
    cli: Any, gateway: httpx.Client, customer: Any, helpers: Any
) -> None:
    def refused_by(headers: dict[str, str]) -> set[str]:
        return {s for s, path in SIGNED_IN.items() if gateway.get(path, headers=headers).status_code == 401}

    def kid(headers: dict[str, str]) -> str:
        return str(jwt.get_unverified_header(headers["Authorization"].split()[1])["kid"])

    old = helpers.log_in(gateway, customer.email, customer.password)
    assert refused_by(old) == set()

    assert cli("identity", "rotate-signing-key").startswith("new signing key ")
    new = helpers.log_in(gateway, customer.email, customer.password)
    assert kid(new) != kid(old)
    # Every service fetches the new key when it first sees its kid.
    helpers.eventually(lambda: refused_by(new) == set(), timeout=15, interval=1)
    assert refused_by(old) == set()  # the old key stays published: its tokens still work

    # Without --immediately it would wait until the new key has signed a token's lifetime
    # (services/identity/tests/test_signing_keys.py).
    assert cli("identity", "retire-signing-keys", "--immediately") == f"retired {kid(old)}"
    cli.forget_operator_tokens()  # the session's cached operator tokens were signed with it

    # Every service drops the retired key with its next fetch (JWKS_CACHE_SECONDS).
    helpers.eventually(lambda: refused_by(old) == set(SIGNED_IN), timeout=20, interval=1)
    assert refused_by(new) == set()
