"""The whole local suite in one object: Kafka, topics, PostgreSQL or SQLite, the mail catcher,
the five services and the gateway. `portal-stack up` and the integration tests both use it.

    config = StackConfig.ephemeral(tmp_path)           # tests: free ports, PostgreSQL
    with Stack(config) as stack:
        stack.services["billing"].kill(); stack.services["billing"].restart()
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Literal, Protocol, Self

from portal_stack import paths
from portal_stack.docker import ContainerKafka, ContainerPostgres, Mode, infrastructure_mode
from portal_stack.gateway import DEFAULT_RATE_BURST, DEFAULT_RATE_LIMIT, Gateway, gateway_port
from portal_stack.kafka import DEFAULT_PORT as KAFKA_DEFAULT_PORT
from portal_stack.kafka import LocalKafka, create_topics, load_topics
from portal_stack.mailcatcher import MailCatcherClient
from portal_stack.payment_provider import payment_environment, provider_port, provider_process
from portal_stack.ports import LOOPBACK, free_ports, port_open
from portal_stack.postgres import PostgresCluster, env_database_urls
from portal_stack.processes import ManagedProcess, ProcessError
from portal_stack.services import (
    REPLICA_PORT_STEP,
    REPLICAS_ENV,
    SERVICE_NAMES,
    Endpoints,
    ServiceProcess,
    database_url_env,
    event_sealing_key,
    http_ready,
    mail_secrets_keys,
    parse_replicas,
    payment_webhook_secret,
    service_environment,
    service_ports,
    sqlite_url,
)

Database = Literal["sqlite", "postgres"]
Report = Callable[[str], None]


class _Kafka(Protocol):
    bootstrap_servers: str

    def start(self) -> float: ...
    def stop(self) -> None: ...
    def describe(self) -> str: ...


class _Postgres(Protocol):
    database_urls: dict[str, str]

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def describe(self) -> str: ...


@dataclass
class StackConfig:
    run_dir: Path
    gateway_port: int
    kafka_port: int
    smtp_port: int
    mail_http_port: int
    service_ports: dict[str, int]
    database: Database = "sqlite"
    services: tuple[str, ...] = SERVICE_NAMES
    infrastructure: Mode = "local"
    log_level: str = "INFO"
    python: str = field(default_factory=lambda: sys.executable)
    rate_limit: str = DEFAULT_RATE_LIMIT
    rate_burst: int = DEFAULT_RATE_BURST
    start_gateway: bool = True
    provider_port: int = field(default_factory=provider_port)  # the payment provider simulator
    # Instances per service (1 where absent): the same database and consumer groups, each its
    # own port and log file, all behind the gateway. `replica_ports` are the ports of the 2nd,
    # 3rd ... instances; without them each is REPLICA_PORT_STEP above the one before.
    replicas: dict[str, int] = field(default_factory=dict)
    replica_ports: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, count in self.replicas.items():
            if name not in SERVICE_NAMES or count < 1:
                raise ValueError(f"replicas: {name}={count} (a service of {SERVICE_NAMES}, at least 1)")
        for name, ports in self.replica_ports.items():
            if len(ports) != self.replicas.get(name, 1) - 1:
                raise ValueError(f"replica_ports: {name} needs one port per instance after the first")

    @classmethod
    def from_env(cls, run_dir: Path | None = None) -> StackConfig:
        """`make up`: fixed, documented ports (env overrides), SQLite, local processes."""
        env = os.environ
        return cls(
            run_dir=run_dir or paths.run_dir(),
            gateway_port=gateway_port(),
            kafka_port=int(env.get("KAFKA_PORT", KAFKA_DEFAULT_PORT)),
            smtp_port=int(env.get("MAILCATCHER_SMTP_PORT", 1025)),
            mail_http_port=int(env.get("MAILCATCHER_HTTP_PORT", 1080)),
            service_ports=service_ports(),
            infrastructure="docker" if env.get("PORTAL_INFRA") == "docker" else "local",
            log_level=env.get("LOG_LEVEL", "INFO"),
            replicas=parse_replicas(env.get(REPLICAS_ENV, "")),
        )

    @classmethod
    def ephemeral(
        cls,
        run_dir: Path,
        *,
        database: Database = "postgres",
        services: Sequence[str] = SERVICE_NAMES,
        infrastructure: Mode | None = None,
        replicas: Mapping[str, int] | None = None,
    ) -> StackConfig:
        """Tests: every port free and random, PostgreSQL, Docker where it can run."""
        wanted = {name: count for name, count in (replicas or {}).items() if count != 1}
        # One call: ports chosen together are distinct.
        ports = free_ports(5 + len(SERVICE_NAMES) + sum(max(count - 1, 0) for count in wanted.values()))
        ports, extra = ports[: 5 + len(SERVICE_NAMES)], ports[5 + len(SERVICE_NAMES) :]
        replica_ports = {}
        for name, count in wanted.items():
            replica_ports[name], extra = tuple(extra[: count - 1]), extra[count - 1 :]
        return cls(
            run_dir=run_dir,
            gateway_port=ports[0],
            kafka_port=ports[1],
            smtp_port=ports[2],
            mail_http_port=ports[3],
            service_ports=dict(zip(SERVICE_NAMES, ports[4:-1], strict=True)),
            provider_port=ports[-1],
            database=database,
            services=tuple(services),
            infrastructure=infrastructure or infrastructure_mode(),
            log_level=os.environ.get("LOG_LEVEL", "INFO"),
            replicas=wanted,
            replica_ports=replica_ports,
        )

    def instance_ports(self, service: str) -> list[int]:
        """The ports of every instance of `service`, the first one's (`service_ports`) first."""
        first = self.service_ports[service]
        count = self.replicas.get(service, 1)
        others = self.replica_ports.get(service) or tuple(
            first + REPLICA_PORT_STEP * step for step in range(1, count)
        )
        return [first, *others]

    @property
    def log_dir(self) -> Path:
        return self.run_dir / "logs"


class Stack:
    """Starts everything in dependency order; stop() (or leaving `with`) stops it in reverse.

    Handles for tests: `kafka`, `postgres`, `mail`, `services[name]`, `gateway`; each local
    process handle has stop(), kill() and restart().
    """

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.kafka: _Kafka | None = None
        self.postgres: _Postgres | None = None
        self.mail: ManagedProcess | None = None
        self.provider: ManagedProcess | None = None
        self.payment_env: dict[str, str] = {}
        self.services: dict[str, ServiceProcess] = {}  # the first instance of each
        self.instances: dict[str, list[ServiceProcess]] = {}  # all of them, the first first
        self.gateway: Gateway | None = None
        self.database_urls: dict[str, str] = {}
        self.timings: dict[str, float] = {}
        self._started: list[Callable[[], object]] = []

    # -- addresses -------------------------------------------------------------------------

    @property
    def bootstrap_servers(self) -> str:
        assert self.kafka is not None, "Kafka is not started"
        return self.kafka.bootstrap_servers

    @property
    def gateway_url(self) -> str:
        return f"http://{LOOPBACK}:{self.config.gateway_port}"

    @property
    def mail_url(self) -> str:
        return f"http://{LOOPBACK}:{self.config.mail_http_port}"

    def mail_client(self) -> MailCatcherClient:
        return MailCatcherClient(self.mail_url)

    @property
    def provider_url(self) -> str:
        return f"http://{LOOPBACK}:{self.config.provider_port}"

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, report: Report | None = None) -> float:
        """Start everything; on any failure stop what was started and re-raise.

        Returns the seconds until the whole suite was ready.
        """
        say = report or (lambda line: None)
        started = time.monotonic()
        try:
            self._start(say)
        except BaseException:
            self.stop()
            raise
        return time.monotonic() - started

    def _start(self, say: Report) -> None:
        config = self.config
        config.log_dir.mkdir(parents=True, exist_ok=True)
        self._check_ports_free()

        # Kafka takes longest: launch its process first and do the rest while it boots.
        self.kafka = self._make_kafka()
        self._started.append(self.kafka.stop)
        with ThreadPoolExecutor(1, thread_name_prefix="kafka-start") as pool:
            kafka_ready = pool.submit(self._timed, "kafka", self.kafka.start)
            self._start_mail()
            say(f"mail catcher on SMTP {LOOPBACK}:{config.smtp_port} ({self.timings['mail']:.1f}s)")
            if "billing" in config.services:
                self._start_provider()
                say(f"payment provider simulator on {self.provider_url} ({self.timings['provider']:.1f}s)")
            if config.database == "postgres":
                self.postgres = self._make_postgres()
                self._started.append(self.postgres.stop)
                self._timed("postgres", self.postgres.start)
                self.database_urls = dict(self.postgres.database_urls)
                say(f"{self.postgres.describe()} ({self.timings['postgres']:.1f}s)")
            else:
                self.database_urls = self._sqlite_urls()
            kafka_ready.result()
        say(f"{self.kafka.describe()} ({self.timings['kafka']:.1f}s)")

        topics_started = time.monotonic()
        created = create_topics(self.bootstrap_servers)
        self.timings["topics"] = time.monotonic() - topics_started
        existing = len(load_topics()) - len(created)
        say(f"topics: {len(created)} created, {existing} already there ({self.timings['topics']:.1f}s)")

        self._start_services(say)
        if config.start_gateway:
            self.gateway = Gateway(
                config.run_dir / "gateway",
                {name: config.instance_ports(name) for name in SERVICE_NAMES},
                port=config.gateway_port,
                log_file=config.log_dir / "gateway.log",
                rate_limit=config.rate_limit,
                rate_burst=config.rate_burst,
            )
            self._started.append(self.gateway.stop)
            self._timed("gateway", self.gateway.start_and_wait)
            say(f"gateway on {self.gateway_url} ({self.timings['gateway']:.1f}s)")

    def _timed(self, name: str, action: Callable[[], object]) -> object:
        started = time.monotonic()
        result = action()
        self.timings[name] = time.monotonic() - started
        return result

    def _check_ports_free(self) -> None:
        config = self.config
        wanted = {
            f"{name} service{f' instance {number}' if number > 1 else ''}": port
            for name in config.services
            for number, port in enumerate(config.instance_ports(name), start=1)
        }
        wanted["mail catcher SMTP"] = config.smtp_port
        wanted["mail catcher HTTP"] = config.mail_http_port
        if "billing" in config.services:
            wanted["payment provider simulator"] = config.provider_port
        if config.start_gateway:
            wanted["gateway"] = config.gateway_port
        owners: dict[int, list[str]] = {}
        for what, port in wanted.items():
            owners.setdefault(port, []).append(what)
        shared = [f"{port} for {' and '.join(names)}" for port, names in owners.items() if len(names) > 1]
        if shared:  # the second would fail to listen: say why now rather than "not ready" later
            raise ProcessError(
                "the same port " + "; ".join(shared) + " (set the ports apart, see deploy/README.md)"
            )
        taken = [f"{what} port {port}" for what, port in wanted.items() if port_open(port)]
        if taken:
            raise ProcessError(
                "already in use: " + ", ".join(taken) + " (a previous `make up` still running? "
                "`make down` stops it; or override the ports, see deploy/README.md)"
            )

    def _make_kafka(self) -> _Kafka:
        if self.config.infrastructure == "docker" and not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            return ContainerKafka()
        return LocalKafka(
            self.config.run_dir / "kafka",
            port=self.config.kafka_port,
            log_file=self.config.log_dir / "kafka.log",
        )

    def _make_postgres(self) -> _Postgres:
        # URLs from the environment win on either path (PostgresCluster then starts nothing).
        if self.config.infrastructure == "docker" and env_database_urls() is None:
            return ContainerPostgres()
        return PostgresCluster(log_file=self.config.log_dir / "postgres.log")

    def _sqlite_urls(self) -> dict[str, str]:
        (self.config.run_dir / "data").mkdir(parents=True, exist_ok=True)
        return {
            name: os.environ.get(database_url_env(name)) or sqlite_url(self.config.run_dir, name)
            for name in SERVICE_NAMES
        }

    def _start_mail(self) -> None:
        config = self.config
        self.mail = ManagedProcess(
            "mailcatcher",
            [
                config.python, "-m", "portal_stack.mailcatcher",
                "--smtp-port", str(config.smtp_port), "--http-port", str(config.mail_http_port),
                "--dir", str(config.run_dir / "mail"),
            ],
            log_file=config.log_dir / "mailcatcher.log",
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            ready=lambda: port_open(config.smtp_port)
            and http_ready(f"{self.mail_url}/api/messages"),
            ready_timeout=20.0,
        )  # fmt: skip
        self._started.append(self.mail.stop)
        self._timed("mail", self.mail.start_and_wait)

    def _start_provider(self) -> None:
        config = self.config
        self.payment_env = payment_environment(
            provider_port=config.provider_port,
            gateway_port=config.gateway_port,
            secret=payment_webhook_secret(config.run_dir),
        )
        self.provider = provider_process(
            python=config.python,
            port=config.provider_port,
            environment=self.payment_env,
            log_dir=config.log_dir,
        )
        self._started.append(self.provider.stop)
        self._timed("provider", self.provider.start_and_wait)

    def _start_services(self, say: Report) -> None:
        config = self.config
        endpoints = Endpoints(
            kafka_bootstrap=self.bootstrap_servers,
            smtp_port=config.smtp_port,
            gateway_port=config.gateway_port,
            identity_port=config.service_ports["identity"],
        )
        key = event_sealing_key(config.run_dir)
        mail_keys = mail_secrets_keys(config.run_dir)
        for name in config.services:
            env = service_environment(
                name,
                database_url=self.database_urls[name],
                endpoints=endpoints,
                sealing_key=key,
                mail_keys=mail_keys,
                log_level=config.log_level,
            )
            if name == "billing":
                env.update(self.payment_env)
            self.instances[name] = [
                ServiceProcess(
                    name,
                    port=port,
                    env=env,
                    log_dir=config.log_dir,
                    python=config.python,
                    instance=number,
                )
                for number, port in enumerate(config.instance_ports(name), start=1)
            ]
            self.services[name] = self.instances[name][0]
        firsts = list(self.services.values())
        # Migrations are independent (one database each): run them side by side, once a service.
        started = time.monotonic()
        with ThreadPoolExecutor(len(firsts) or 1, thread_name_prefix="migrate") as pool:
            for future in [pool.submit(handle.migrate) for handle in firsts]:
                future.result()
        self.timings["migrations"] = time.monotonic() - started
        say(f"migrations of {len(firsts)} services ({self.timings['migrations']:.1f}s)")

        handles = [handle for group in self.instances.values() for handle in group]

        started = time.monotonic()
        for handle in handles:
            self._started.append(handle.stop)
            handle.start()
        for handle in handles:
            handle.wait_ready()
        self.timings["services"] = time.monotonic() - started
        extra = len(handles) - len(firsts)
        say(
            f"{len(firsts)} services ready"
            + (f", {extra} more instances" if extra else "")
            + f" ({self.timings['services']:.1f}s)"
        )

    def stop(self) -> None:
        """Stop everything this stack started, newest first; errors do not stop the rest."""
        errors: list[BaseException] = []
        while self._started:
            stop = self._started.pop()
            try:
                stop()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def processes(self) -> list[ManagedProcess]:
        """The local child processes, for the state file and crash reports."""
        found: list[ManagedProcess] = []
        if isinstance(self.kafka, LocalKafka) and self.kafka.process is not None:
            found.append(self.kafka.process)
        if isinstance(self.postgres, PostgresCluster) and self.postgres.process is not None:
            found.append(self.postgres.process)
        if self.mail is not None:
            found.append(self.mail)
        if self.provider is not None:
            found.append(self.provider)
        found.extend(handle for group in self.instances.values() for handle in group)
        if self.gateway is not None:
            found.append(self.gateway)
        return found

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
