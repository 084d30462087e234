import base64
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from portal_chassis.mail_secrets import MailSecretsDecrypter, MailSecretsEncrypter, SecretPurpose
from portal_stack.compose import write_compose_env
from portal_stack.docker import _detect, infrastructure_mode
from portal_stack.postgres import env_database_urls, provisioning_sql
from portal_stack.processes import ProcessError
from portal_stack.services import (
    SERVICE_NAMES,
    Endpoints,
    MailSecretsKeys,
    ServiceProcess,
    event_sealing_key,
    mail_secrets_keys,
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


def test_mail_secrets_keys_are_a_pair_made_once_and_kept_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY", raising=False)

    keys = mail_secrets_keys(tmp_path)

    assert mail_secrets_keys(tmp_path) == keys
    assert "d" in json.loads(keys.private) and "d" not in json.loads(keys.public)
    sealed = MailSecretsEncrypter(keys.public).encrypt("042917", SecretPurpose.ACTIVATION_CODE)
    assert MailSecretsDecrypter(keys.private).decrypt(sealed, SecretPurpose.ACTIVATION_CODE) == "042917"
    key_file = tmp_path / "secrets" / "mail-secrets.jwk"
    assert key_file.read_text().strip() == keys.private
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    monkeypatch.setenv("NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY", keys.private)
    assert mail_secrets_keys(tmp_path / "elsewhere") == keys  # the environment wins, nothing written
    assert not (tmp_path / "elsewhere").exists()


def test_only_identity_gets_the_public_key_and_only_notifications_the_private_one(tmp_path: Path) -> None:
    keys = MailSecretsKeys(private='{"d":"private"}', public='{"x":"public"}')
    endpoints = Endpoints(
        kafka_bootstrap="127.0.0.1:9092", smtp_port=1025, gateway_port=8080, identity_port=8101
    )
    shell = {"NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY": keys.private}  # an override exported
    env = {
        name: service_environment(
            name,
            database_url=sqlite_url(tmp_path, name),
            endpoints=endpoints,
            sealing_key="k",
            mail_keys=keys,
            base_env=shell,
        )
        for name in SERVICE_NAMES
    }

    assert env["identity"]["IDENTITY_MAIL_SECRETS_PUBLIC_KEY"] == keys.public
    assert env["notifications"]["NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY"] == keys.private
    for name in SERVICE_NAMES:
        values = set(env[name].values())
        assert (keys.private in values) == (name == "notifications"), name
        assert (keys.public in values) == (name == "identity"), name


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

    values = dict(line.split("=", 1) for line in first.splitlines() if "=" in line)
    private = values["NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY"].strip("'")
    public = values["IDENTITY_MAIL_SECRETS_PUBLIC_KEY"].strip("'")
    sealed = MailSecretsEncrypter(public).encrypt("042917", SecretPurpose.PASSWORD_RESET_CODE)
    assert MailSecretsDecrypter(private).decrypt(sealed, SecretPurpose.PASSWORD_RESET_CODE) == "042917"


def test_a_compose_env_from_before_the_mail_keys_gets_them_appended(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("POSTGRES_PASSWORD=kept\nEVENT_SEALING_KEY=kept\n")

    assert write_compose_env(path) == (path, True)
    lines = path.read_text().splitlines()
    assert lines[:2] == ["POSTGRES_PASSWORD=kept", "EVENT_SEALING_KEY=kept"]
    assert [line.split("=", 1)[0] for line in lines[2:]] == [
        "NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY",
        "IDENTITY_MAIL_SECRETS_PUBLIC_KEY",
    ]
    assert write_compose_env(path) == (path, False)

    unterminated = tmp_path / "edited.env"
    unterminated.write_text("POSTGRES_PASSWORD=kept")  # no line end after the last line
    write_compose_env(unterminated)
    assert unterminated.read_text().splitlines()[0] == "POSTGRES_PASSWORD=kept"


def test_a_database_from_a_rewritten_schema_history_says_to_clean_the_run_dir(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path, "contracts")
    (tmp_path / "data").mkdir(exist_ok=True)
    with sqlite3.connect(tmp_path / "data" / "contracts.sqlite3") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version VALUES ('0123456789ab')")  # no such revision
    env = service_environment(
        "contracts",
        database_url=url,
        endpoints=Endpoints(
            kafka_bootstrap="127.0.0.1:9", smtp_port=1025, gateway_port=8080, identity_port=8101
        ),
        sealing_key=event_sealing_key(tmp_path),
        base_env=dict(os.environ),
    )
    process = ServiceProcess("contracts", port=8102, env=env, log_dir=tmp_path / "logs")
    with pytest.raises(ProcessError, match="make clean"):
        process.migrate()
