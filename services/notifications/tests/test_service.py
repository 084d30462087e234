"""The service's HTTP surface: health and readiness; the delivery log only with a token."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from notifications.app import create_app
from notifications.settings import NotificationsSettings
from portal_chassis.mail_secrets import MailSecretsError
from portal_chassis.testing import Harness


async def test_health_and_ready_answer(service: Harness) -> None:
    assert (await service.client.get("/health")).json()["status"] == "ok"
    ready = await service.client.get("/ready")
    assert ready.status_code == 200, ready.text


async def test_the_delivery_log_needs_a_token(service: Harness) -> None:
    paths = (await service.client.get("/openapi.json")).json()["paths"]
    assert {"/v1/messages", "/v1/admin/deliveries"} <= set(paths)
    for path in ("/v1/messages", "/v1/admin/deliveries"):
        response = await service.client.get(path)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


def test_the_sealing_key_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENT_SEALING_KEY", raising=False)
    with pytest.raises(ValidationError, match="EVENT_SEALING_KEY"):
        NotificationsSettings()


def test_the_mail_secrets_private_key_is_required(
    monkeypatch: pytest.MonkeyPatch, settings: NotificationsSettings, mail_key_pair: tuple[str, str]
) -> None:
    monkeypatch.setenv("EVENT_SEALING_KEY", "k")
    monkeypatch.delenv("NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY", raising=False)
    with pytest.raises(ValidationError, match="mail_secrets_private_key"):
        NotificationsSettings()
    monkeypatch.setenv("NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY", mail_key_pair[0])
    assert NotificationsSettings().mail_secrets_private_key.get_secret_value() == mail_key_pair[0]
    only_public = settings.model_copy(update={"mail_secrets_private_key": SecretStr(mail_key_pair[1])})
    with pytest.raises(MailSecretsError, match="only the public half"):
        create_app(only_public)  # refused at start, not at the first reset mail


def test_suite_wide_smtp_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVENT_SEALING_KEY", "k")
    monkeypatch.setenv("NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY", "{}")
    monkeypatch.setenv("SMTP_HOST", "mail.internal")
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("PORTAL_PUBLIC_URL", "https://mijn.example.nl")
    settings = NotificationsSettings()
    assert (settings.smtp_host, settings.smtp_port) == ("mail.internal", 2525)
    assert settings.public_url == "https://mijn.example.nl"
