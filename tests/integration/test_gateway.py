"""The gateway routes every service, answers with problem details and tags requests."""

from __future__ import annotations

import httpx
import pytest

from portal_stack import SERVICE_NAMES


@pytest.mark.parametrize("service", SERVICE_NAMES)
def test_each_service_is_ready_and_documented_through_the_gateway(
    gateway: httpx.Client, service: str
) -> None:
    ready = gateway.get(f"/{service}/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "kafka": "ok", "outbox_relay": "ok"}
    assert gateway.get(f"/{service}/health").json()["service"] == service
    spec = gateway.get(f"/{service}/openapi.json").json()
    assert spec["servers"][0]["url"] == f"/{service}"


def test_request_id_is_kept_or_made(gateway: httpx.Client) -> None:
    given = gateway.get("/identity/health", headers={"X-Request-ID": "req-123"})
    assert given.headers["x-request-id"] == "req-123"
    assert given.headers["x-correlation-id"] == "req-123"  # the service continues the same id
    made = gateway.get("/identity/health")
    assert len(made.headers["x-request-id"]) >= 16


def test_unknown_paths_and_big_bodies_are_problems(gateway: httpx.Client) -> None:
    missing = gateway.get("/nowhere/at-all")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    too_big = gateway.post(
        "/identity/v1/password-resets",
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert too_big.status_code == 413
    assert too_big.json()["status"] == 413
