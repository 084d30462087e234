"""Whether the Docker path can run here, and Kafka/PostgreSQL in containers when it can.

The Docker path needs a reachable engine AND the images already present locally: where no
registry is reachable a pull fails, so a running engine alone is not enough. Where either is
missing the stack runs local processes instead. `PORTAL_INFRA=local|docker` forces a path.
testcontainers is imported only on the Docker path (it is a dev dependency).
"""

from __future__ import annotations

import functools
import os
import secrets
import shutil
import subprocess
import time
from typing import Any, Literal

from portal_stack.kafka import kafka_answers
from portal_stack.ports import LOOPBACK, free_port
from portal_stack.postgres import provision_databases
from portal_stack.processes import ProcessError
from portal_stack.services import SERVICE_NAMES

Mode = Literal["docker", "local"]

KAFKA_IMAGE = "apache/kafka:4.1.1"
POSTGRES_IMAGE = "postgres:15"
IMAGES = (KAFKA_IMAGE, POSTGRES_IMAGE)


def _docker(*args: str, timeout: float = 5.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


@functools.cache
def _detect() -> tuple[Mode, str]:
    forced = os.environ.get("PORTAL_INFRA", "").strip().lower()
    if forced in ("local", "docker"):
        return forced, f"forced by PORTAL_INFRA={forced}"  # type: ignore[return-value]
    if forced:
        raise ValueError(f"PORTAL_INFRA must be 'local' or 'docker', not {forced!r}")
    if shutil.which("docker") is None:
        return "local", "no docker command"
    try:
        engine = _docker("version", "--format", "{{.Server.Version}}")
    except subprocess.TimeoutExpired:
        return "local", "the Docker engine did not answer within 5 s"
    if engine.returncode != 0:
        return "local", "no Docker engine reachable"
    missing = [image for image in IMAGES if _docker("image", "inspect", image).returncode != 0]
    if missing:
        return "local", f"Docker {engine.stdout.strip()} lacks the images {', '.join(missing)}"
    return "docker", f"Docker {engine.stdout.strip()} with {', '.join(IMAGES)}"


def infrastructure_mode() -> Mode:
    """Docker (testcontainers) or local processes (Maven jars, Debian packages)."""
    return _detect()[0]


def describe() -> str:
    """One line saying which path runs Kafka and PostgreSQL, and why."""
    mode, reason = _detect()
    if mode == "docker":
        return f"docker ({reason}): Kafka and PostgreSQL in testcontainers"
    return (
        f"local processes ({reason}): Kafka from the cached Maven jars, "
        "PostgreSQL 15 and nginx from Debian packages"
    )


class ContainerKafka:
    """apache/kafka in a container, published on a free loopback port.

    testcontainers' KafkaContainer drives Confluent's image scripts, which the official
    apache/kafka image does not have, so this uses a plain DockerContainer with the image's
    documented KAFKA_* settings. A second, in-container listener serves the broker's own
    connections (transaction markers), which cannot use the host-side address.
    """

    def __init__(self, image: str = KAFKA_IMAGE, ready_timeout: float = 90.0) -> None:
        self.image = image
        self.port = free_port()
        self.bootstrap_servers = f"{LOOPBACK}:{self.port}"
        self.ready_timeout = ready_timeout
        self.container: Any = None

    def start(self) -> float:
        from testcontainers.core.container import DockerContainer

        settings = {
            "KAFKA_NODE_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": "HOST://0.0.0.0:9092,BROKER://localhost:29092,CONTROLLER://localhost:9093",
            "KAFKA_ADVERTISED_LISTENERS": f"HOST://{self.bootstrap_servers},BROKER://localhost:29092",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "HOST:PLAINTEXT,BROKER:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "BROKER",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
            "KAFKA_BROKER_HEARTBEAT_INTERVAL_MS": "500",
            "KAFKA_BROKER_SESSION_TIMEOUT_MS": "2000",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
        }
        container = DockerContainer(self.image).with_bind_ports(9092, self.port)
        for key, value in settings.items():
            container = container.with_env(key, value)
        started = time.monotonic()
        self.container = container.start()
        return self._wait(started)

    def _wait(self, started: float) -> float:
        deadline = started + self.ready_timeout
        while not kafka_answers(self.bootstrap_servers):
            if time.monotonic() > deadline:
                raise ProcessError(f"Kafka container not ready after {self.ready_timeout:.0f}s")
            time.sleep(0.25)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.container is not None:
            self.container.stop()
            self.container = None

    def kill(self) -> None:
        self.container.get_wrapped_container().kill()

    def restart(self) -> float:
        # Same container, same published port: data and offsets survive, as with a real crash.
        started = time.monotonic()
        self.container.get_wrapped_container().restart(timeout=10)
        return self._wait(started)

    def describe(self) -> str:
        return f"Kafka at {self.bootstrap_servers} ({self.image} container)"


class ContainerPostgres:
    """postgres:15 in a container with one database and role per service (as PostgresCluster)."""

    def __init__(self, image: str = POSTGRES_IMAGE) -> None:
        self.image = image
        self.container: Any = None
        self.database_urls: dict[str, str] = {}

    def start(self) -> None:
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:  # testcontainers before the community split
            from testcontainers.postgres import PostgresContainer

        admin_password = secrets.token_urlsafe(24)
        self.container = PostgresContainer(
            self.image, username="postgres", password=admin_password, dbname="postgres", driver=None
        ).start()
        host = self.container.get_container_host_ip()
        port = int(self.container.get_exposed_port(5432))
        self.database_urls = provision_databases(
            host=host, port=port, services=SERVICE_NAMES, admin_password=admin_password
        )

    def stop(self) -> None:
        if self.container is not None:
            self.container.stop()
            self.container = None

    def describe(self) -> str:
        return f"PostgreSQL ({self.image} container)"
