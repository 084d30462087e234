import base64
import stat
from pathlib import Path

import pytest

from portal_stack.compose import write_compose_env
from portal_stack.docker import _detect, infrastructure_mode
from portal_stack.postgres import env_database_urls, provisioning_sql
from portal_stack.services import (
    SERVICE_NAMES,
    Endpoints,
    event_sealing_key,
    service_environment,
    service_ports,
    sqlite_url,
)


def test_default_ports_and_overrides() -> None:
    assert service_ports({}) == {
        "identity": 8101, "contracts": 8102, "metering": 8103, "billing": 8104,
        "notifications": 8105,
    }  # fmt: skip
    assert service_ports({"BILLING_PORT": "9104"})["billing"] == 9104


def test_sealing_key_is_a_fernet_key_made_once_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EVENT_SEALING_KEY", raising=False)

    key = event_sealing_key(tmp_path)

    assert len(base64.urlsafe_b64decode(key)) == 32
    assert event_sealing_key(tmp_path) == key
    key_file = tmp_path / "secrets" / "event-sealing.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700


def test_service_environment_carries_every_address(tmp_path: Path) -> None:
    env = service_environment(
        "billing",
        database_url=sqlite_url(tmp_path, "billing"),
        endpoints=Endpoints(
            kafka_bootstrap="127.0.0.1:9092", smtp_port=1025, gateway_port=8080,
            identity_port=8101,
        ),
        sealing_key="k",
        base_env={"PATH": "/usr/bin"},
    )  # fmt: skip

    assert env["BILLING_DATABASE_URL"] == f"sqlite+aiosqlite:///{tmp_path}/data/billing.sqlite3"
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "127.0.0.1:9092"
    assert (env["SMTP_HOST"], env["SMTP_PORT"]) == ("127.0.0.1", "1025")
    assert env["PORTAL_PUBLIC_URL"] == "http://127.0.0.1:8080"
    assert env["IDENTITY_JWKS_URL"] == "http://127.0.0.1:8101/.well-known/jwks.json"
    assert env["EVENT_SEALING_KEY"] == "k"
    assert (env["LOG_LEVEL"], env["OTEL_TRACES_EXPORTER"]) == ("INFO", "none")
    assert env["PATH"] == "/usr/bin"


def test_provisioning_isolates_every_database() -> None:
    sql = provisioning_sql({"identity": "pw1", "billing": "pw2"})

    assert "CREATE ROLE \"identity\" LOGIN PASSWORD 'pw1';" in sql
    assert 'CREATE DATABASE "billing" OWNER "billing";' in sql
    assert 'REVOKE CONNECT, TEMPORARY ON DATABASE "billing" FROM PUBLIC;' in sql
    assert "REVOKE CONNECT, TEMPORARY ON DATABASE postgres FROM PUBLIC;" in sql
    assert "REVOKE CONNECT ON DATABASE template1 FROM PUBLIC;" in sql
    with pytest.raises(ValueError):
        provisioning_sql({"x": "it's"})


def test_database_urls_from_the_environment_all_or_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in SERVICE_NAMES:
        monkeypatch.delenv(f"{name.upper()}_DATABASE_URL", raising=False)
    assert env_database_urls() is None

    monkeypatch.setenv("IDENTITY_DATABASE_URL", "postgresql+asyncpg://i@db/identity")
    with pytest.raises(ValueError, match="BILLING_DATABASE_URL"):
        env_database_urls()

    for name in SERVICE_NAMES:
        monkeypatch.setenv(f"{name.upper()}_DATABASE_URL", f"postgresql+asyncpg://x@db/{name}")
    urls = env_database_urls()
    assert urls is not None and urls["billing"] == "postgresql+asyncpg://x@db/billing"


def test_the_infrastructure_path_can_be_forced(monkeypatch: pytest.MonkeyPatch) -> None:
    _detect.cache_clear()
    monkeypatch.setenv("PORTAL_INFRA", "local")
    try:
        assert infrastructure_mode() == "local"
    finally:
        _detect.cache_clear()


def test_compose_secrets_are_written_once_and_private(tmp_path: Path) -> None:
    path, written = write_compose_env(tmp_path / ".env")
    first = path.read_text()

    assert written and "IDENTITY_DB_PASSWORD=" in first and "EVENT_SEALING_KEY=" in first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert write_compose_env(path) == (path, False)
    assert path.read_text() == first
