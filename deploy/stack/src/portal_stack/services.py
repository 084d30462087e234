"""The five portal services: ports, environment, and a handle to migrate, run and restart one."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from portal_chassis.mail_secrets import generate_key_pair, public_jwk
from portal_stack.ports import LOOPBACK
from portal_stack.processes import ManagedProcess, ProcessError, run_logged

SERVICE_NAMES: tuple[str, ...] = ("identity", "contracts", "metering", "billing", "notifications")
DEFAULT_PORTS: dict[str, int] = {
    "identity": 8101,
    "contracts": 8102,
    "metering": 8103,
    "billing": 8104,
    "notifications": 8105,
}


# A second, third ... instance of a service listens this far above the previous one (`make up`:
# metering 8103, 8113, 8123); ephemeral stacks take free ports instead.
REPLICA_PORT_STEP = 10
REPLICAS_ENV = "PORTAL_REPLICAS"


def parse_replicas(text: str) -> dict[str, int]:
    """``metering=2,billing=2`` -> instances per service (the others run once)."""
    replicas: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, count = item.partition("=")
        name = name.strip()
        if not sep or name not in SERVICE_NAMES or not count.strip().isdecimal() or int(count) < 1:
            raise ValueError(
                f"{REPLICAS_ENV}: {item!r} is not like 'metering=2' "
                f"(services: {', '.join(SERVICE_NAMES)}; at least 1 instance)"
            )
        replicas[name] = int(count)
    return replicas


def instance_name(service: str, instance: int) -> str:
    """``billing`` for the first instance, ``billing-2`` for the second, ..."""
    return service if instance == 1 else f"{service}-{instance}"


def database_url_env(service: str) -> str:
    return f"{service.upper()}_DATABASE_URL"


def service_ports(env: Mapping[str, str] | None = None) -> dict[str, int]:
    """Default ports, each overridable with `<SERVICE>_PORT`."""
    env = os.environ if env is None else env
    return {name: int(env.get(f"{name.upper()}_PORT", default)) for name, default in DEFAULT_PORTS.items()}


def sqlite_url(run_dir: Path, service: str) -> str:
    return f"sqlite+aiosqlite:///{run_dir / 'data' / f'{service}.sqlite3'}"


def event_sealing_key(run_dir: Path) -> str:
    """The Fernet key services seal secrets in events with: `EVENT_SEALING_KEY` if set, else
    generated once per run dir into `secrets/event-sealing.key` (mode 600, never in git)."""
    return _run_secret(run_dir, "EVENT_SEALING_KEY", "event-sealing.key")


def payment_webhook_secret(run_dir: Path) -> str:
    """The secret the payment provider (simulator) signs its webhooks with and billing checks:
    `BILLING_PAYMENT_WEBHOOK_SECRET` if set, else generated once per run dir into
    `secrets/payment-webhook.secret`, like the sealing key."""
    return _run_secret(run_dir, "BILLING_PAYMENT_WEBHOOK_SECRET", "payment-webhook.secret")


MAIL_SECRETS_PRIVATE_KEY_ENV = "NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY"
MAIL_SECRETS_PUBLIC_KEY_ENV = "IDENTITY_MAIL_SECRETS_PUBLIC_KEY"


@dataclass(frozen=True)
class MailSecretsKeys:
    """Notifications' key pair for the tokens and codes in identity's events (JWK JSON):
    identity gets only the public half, so only notifications can open them."""

    private: str
    public: str


def mail_secrets_keys(run_dir: Path) -> MailSecretsKeys:
    """`NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY` if set, else generated once per run dir into
    `secrets/mail-secrets.jwk` (mode 600, like the sealing key); the public half is derived."""
    private = _run_secret(
        run_dir,
        MAIL_SECRETS_PRIVATE_KEY_ENV,
        "mail-secrets.jwk",
        make=lambda: generate_key_pair()[0],
    )
    return MailSecretsKeys(private=private, public=public_jwk(private))


def _random_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _run_secret(run_dir: Path, env_name: str, file_name: str, make: Callable[[], str] = _random_key) -> str:
    from_env = os.environ.get(env_name)
    if from_env:
        return from_env
    secrets_dir = run_dir / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_file = secrets_dir / file_name
    if not key_file.exists():
        key = make()
        # O_EXCL: two stacks starting at once must not each write a different key.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(key + "\n")
    return key_file.read_text().strip()


@dataclass(frozen=True)
class Endpoints:
    """Where the infrastructure a service talks to can be found."""

    kafka_bootstrap: str
    smtp_port: int
    gateway_port: int
    identity_port: int
    smtp_host: str = LOOPBACK


def service_environment(
    service: str,
    *,
    database_url: str,
    endpoints: Endpoints,
    sealing_key: str,
    mail_keys: MailSecretsKeys | None = None,
    log_level: str | None = None,
    base_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The process environment of one service: the caller's, plus what the service reads.
    Of the mail secrets keys, identity gets the public one and notifications the private one."""
    base = dict(os.environ if base_env is None else base_env)
    if service != "notifications":
        base.pop(MAIL_SECRETS_PRIVATE_KEY_ENV, None)  # an override in the caller's shell
    mail_env: dict[str, str] = {}
    if mail_keys is not None and service == "identity":
        mail_env[MAIL_SECRETS_PUBLIC_KEY_ENV] = mail_keys.public
    if mail_keys is not None and service == "notifications":
        mail_env[MAIL_SECRETS_PRIVATE_KEY_ENV] = mail_keys.private
    return {
        **base,
        **mail_env,
        database_url_env(service): database_url,
        "KAFKA_BOOTSTRAP_SERVERS": endpoints.kafka_bootstrap,
        "SMTP_HOST": endpoints.smtp_host,
        "SMTP_PORT": str(endpoints.smtp_port),
        "PORTAL_PUBLIC_URL": f"http://{LOOPBACK}:{endpoints.gateway_port}",
        "IDENTITY_JWKS_URL": f"http://{LOOPBACK}:{endpoints.identity_port}/.well-known/jwks.json",
        "EVENT_SEALING_KEY": sealing_key,
        "LOG_LEVEL": log_level or base.get("LOG_LEVEL", "INFO"),
        "OTEL_TRACES_EXPORTER": base.get("OTEL_TRACES_EXPORTER", "none"),
        # Logs go to a file: unbuffered, so a crash leaves its last lines behind.
        "PYTHONUNBUFFERED": "1",
    }


def http_ready(url: str) -> bool:
    """True when GET url answers 200 (a readiness probe)."""
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


class ServiceProcess(ManagedProcess):
    """One instance of a service: `python -m <service> migrate` once, then `... serve` until
    stopped. Instances after the first (`instance` 2, 3, ...) are named and log as `<service>-2`.

    Ready when `GET /ready` answers 200 (its database and Kafka are reachable).
    `stop()`, `kill()` and `restart()` come from ManagedProcess; restart does not migrate again.
    """

    def __init__(
        self,
        service: str,
        *,
        port: int,
        env: Mapping[str, str],
        log_dir: Path,
        python: str | None = None,
        ready_timeout: float = 60.0,
        instance: int = 1,
    ) -> None:
        self.service = service
        self.instance = instance
        self.port = port
        self.python = python or sys.executable
        self.url = f"http://{LOOPBACK}:{port}"
        name = instance_name(service, instance)
        super().__init__(
            name,
            [self.python, "-m", service, "serve", "--host", LOOPBACK, "--port", str(port)],
            log_file=log_dir / f"{name}.log",
            env=env,
            ready=lambda: http_ready(f"{self.url}/ready"),
            ready_timeout=ready_timeout,
            stop_timeout=25.0,  # uvicorn drains for up to 20 s (chassis), then the broker closes
        )

    def migrate(self, timeout: float = 120.0) -> None:
        """Apply the service's migrations; raises ProcessError with the log tail on failure."""
        try:
            run_logged(
                f"{self.service} migrate",
                [self.python, "-m", self.service, "migrate"],
                self.log_file,
                env=self.env,
                timeout=timeout,
            )
        except ProcessError as exc:
            if "Can't locate revision" not in str(exc):
                raise
            # A run dir kept from an earlier version whose schema history was rewritten.
            raise ProcessError(
                f"{exc}\n{self.service}'s database in the run dir was made by another version of "
                "its schema: `make clean` removes the run dir (its data too), then `make up` again"
            ) from exc
