"""The service's HTTP surface at this stage: health and readiness, nothing that shows email."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from notifications.settings import NotificationsSettings
from portal_chassis.testing import Harness


async def test_health_and_ready_answer(service: Harness) -> None:
    assert (await service.client.get("/health")).json()["status"] == "ok"
    ready = await service.client.get("/ready")
    assert ready.status_code == 200, ready.text


async def test_the_delivery_log_is_not_exposed_over_http(service: Harness) -> None:
    # Operators use `python -m notifications deliveries` until admin authentication exists.
    response = await service.client.get("/v1/deliveries")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    paths = (await service.client.get("/openapi.json")).json()["paths"]
    assert set(paths) == {"/health", "/ready"}


def test_the_sealing_key_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENT_SEALING_KEY", raising=False)
    with pytest.raises(ValidationError, match="EVENT_SEALING_KEY"):
        NotificationsSettings()


def test_suite_wide_smtp_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_SEALING_KEY", "k")
    monkeypatch.setenv("SMTP_HOST", "mail.internal")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://mijn.example.nl")
    settings = NotificationsSettings()
    assert (settings.smtp_host, settings.smtp_port) == ("mail.internal", 2525)
    assert settings.public_url == "https://mijn.example.nl"
