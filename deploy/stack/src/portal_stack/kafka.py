"""A single-node Apache Kafka (KRaft) from the cached Maven Central jars, and the topic list.

Whatever starts Kafka, the services only ever see `KAFKA_BOOTSTRAP_SERVERS`: when that is set,
LocalKafka starts nothing and hands it on.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tomllib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from portal_stack import paths
from portal_stack.ports import LOOPBACK, free_port, port_open
from portal_stack.processes import ManagedProcess, ProcessError, run_blocking, run_logged

KAFKA_VERSION = "4.1.1"  # keep in step with deploy/kafka/pom.xml and deploy/compose.yaml
DEFAULT_PORT = 9092
DEFAULT_CONTROLLER_PORT = 9093

# Short names for the CLI classes operators use most; any fully qualified class works too.
CLI_CLASSES = {
    "TopicCommand": "org.apache.kafka.tools.TopicCommand",
    "ConsumerGroupCommand": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "MetadataQuorumCommand": "org.apache.kafka.tools.MetadataQuorumCommand",
    "ConsoleConsumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "GetOffsetShell": "org.apache.kafka.tools.GetOffsetShell",
}

_CLEANUP_POLICIES = {"delete", "compact", "compact,delete", "delete,compact"}
_TOPIC_KEYS = {"name", "partitions", "replication_factor", "cleanup_policy", "retention_ms"}
_TOPIC_ALREADY_EXISTS = 36  # Kafka error code: another creator won the race, which is fine


class KafkaNotInstalled(RuntimeError):
    """The jars are not in the cache yet: `make install` (scripts/install.sh) fetches them."""


# --- topics.toml ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    cleanup_policy: str
    retention_ms: int

    def configs(self) -> dict[str, str]:
        return {"cleanup.policy": self.cleanup_policy, "retention.ms": str(self.retention_ms)}


def load_topics(path: Path | None = None) -> list[TopicSpec]:
    """Parse deploy/kafka/topics.toml: each [[topic]] over [defaults]; typos fail loudly."""
    path = path or paths.topics_file()
    with path.open("rb") as handle:
        document = tomllib.load(handle)
    defaults = document.get("defaults", {})
    unknown = set(defaults) - (_TOPIC_KEYS - {"name"})
    if unknown:
        raise ValueError(f"{path}: unknown keys in [defaults]: {sorted(unknown)}")
    specs: list[TopicSpec] = []
    seen: set[str] = set()
    for index, entry in enumerate(document.get("topic", [])):
        unknown = set(entry) - _TOPIC_KEYS
        if unknown:
            raise ValueError(f"{path}: topic #{index + 1}: unknown keys {sorted(unknown)}")
        merged = {**defaults, **entry}
        missing = _TOPIC_KEYS - set(merged)
        if missing:
            raise ValueError(f"{path}: topic #{index + 1}: missing {sorted(missing)}")
        spec = TopicSpec(
            name=str(merged["name"]),
            partitions=int(merged["partitions"]),
            replication_factor=int(merged["replication_factor"]),
            cleanup_policy=str(merged["cleanup_policy"]),
            retention_ms=int(merged["retention_ms"]),
        )
        if spec.name in seen:
            raise ValueError(f"{path}: topic {spec.name} is listed twice")
        if spec.partitions < 1 or spec.replication_factor < 1:
            raise ValueError(f"{path}: {spec.name}: partitions and replication must be >= 1")
        if spec.cleanup_policy not in _CLEANUP_POLICIES:
            raise ValueError(f"{path}: {spec.name}: cleanup_policy {spec.cleanup_policy!r}")
        if spec.retention_ms < -1:
            raise ValueError(f"{path}: {spec.name}: retention_ms must be >= -1")
        seen.add(spec.name)
        specs.append(spec)
    return specs


async def list_topics_async(bootstrap: str, request_timeout: float = 5.0) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=int(request_timeout * 1000))
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def create_topics_async(bootstrap: str, topics_file: Path | None = None) -> list[str]:
    """Create the topics of topics.toml that do not exist yet, in one request.

    Existing topics are left as they are (idempotent). Returns the names created.
    """
    specs = load_topics(topics_file)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=30_000)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [spec for spec in specs if spec.name not in existing]
        if not missing:
            return []
        response = await admin.create_topics(
            [
                NewTopic(
                    name=spec.name,
                    num_partitions=spec.partitions,
                    replication_factor=spec.replication_factor,
                    topic_configs=spec.configs(),
                )
                for spec in missing
            ]
        )
    finally:
        await admin.close()
    failures = [
        f"{entry[0]}: error {entry[1]} {entry[2] if len(entry) > 2 else ''}".rstrip()
        for entry in response.topic_errors
        if entry[1] not in (0, _TOPIC_ALREADY_EXISTS)
    ]
    if failures:
        raise RuntimeError("could not create topics: " + "; ".join(failures))
    return [spec.name for spec in missing]


def create_topics(bootstrap: str, topics_file: Path | None = None) -> list[str]:
    """Synchronous create_topics_async, callable from anywhere (also inside an event loop)."""
    return run_blocking(lambda: create_topics_async(bootstrap, topics_file), timeout=60)


def kafka_answers(bootstrap: str, timeout: float = 2.0) -> bool:
    """True when a broker at `bootstrap` answers a metadata request."""
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    if not port_open(int(port), host or LOOPBACK):
        return False  # cheap, and spares the log aiokafka's connection errors while starting
    try:
        run_blocking(lambda: list_topics_async(bootstrap, timeout), timeout=timeout + 1)
    except Exception:
        return False
    return True


# --- jars and CLI ---------------------------------------------------------------------------


def kafka_home() -> Path:
    return paths.cache_dir() / "kafka" / KAFKA_VERSION


def kafka_classpath() -> str:
    """The classpath of the cached jars; the JVM expands the trailing `*` itself."""
    home = kafka_home()
    if not (home / ".installed").is_file():
        raise KafkaNotInstalled(
            f"Kafka {KAFKA_VERSION} jars are not in {home}/lib: run `make install` (scripts/install.sh) first"
        )
    return str(home / "lib" / "*")


def java_binary() -> str:
    java_home = os.environ.get("JAVA_HOME")
    candidate = Path(java_home) / "bin" / "java" if java_home else None
    if candidate and candidate.is_file():
        return str(candidate)
    found = shutil.which("java")
    if not found:
        raise KafkaNotInstalled("no java on PATH: install a JRE 17 (scripts/install.sh does)")
    return found


def _java(log4j_config: str, main_class: str, *args: str, heap: Sequence[str] = ()) -> list[str]:
    config = paths.repo_root() / "deploy" / "kafka" / log4j_config
    return [
        java_binary(),
        *heap,
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={config}",
        "-cp",
        kafka_classpath(),
        main_class,
        *args,
    ]


def kafka_cli(
    tool_class: str, *args: str, timeout: float = 60.0, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a Kafka CLI class from the cached jars, e.g.
    `kafka_cli("TopicCommand", "--bootstrap-server", b, "--describe", "--topic", t)`.

    Output is captured (text); with `check`, a non-zero exit raises CalledProcessError.
    """
    argv = _java("log4j2-tools.xml", CLI_CLASSES.get(tool_class, tool_class), *args)
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, check=check, stdin=subprocess.DEVNULL
    )


# --- the broker -----------------------------------------------------------------------------


def _cluster_id() -> str:
    # Kafka's Uuid.toString: 16 random bytes, URL-safe base64 without padding. Generating it
    # here saves a JVM start; a leading '-' is avoided as Kafka does (it reads as an option).
    while True:
        value = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not value.startswith("-"):
            return value


def server_properties(*, data_dir: Path, port: int, controller_port: int) -> str:
    """server.properties for one process that is both broker and controller."""
    listeners = f"PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}"
    lines = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{LOOPBACK}:{controller_port}",
        "listeners": listeners,
        "advertised.listeners": listeners,
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(data_dir),
        # A typo in a topic name must fail loudly instead of creating a topic.
        "auto.create.topics.enable": "false",
        # After kill -9 the restarted broker waits for its old session to expire: keep it short.
        "broker.heartbeat.interval.ms": "500",
        "broker.session.timeout.ms": "2000",
        # One node: internal topics cannot have more replicas than that.
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "default.replication.factor": "1",
        "min.insync.replicas": "1",
        # Fewer internal partitions (default 50): the first consumer group is ready sooner.
        "offsets.topic.num.partitions": "10",
        "transaction.state.log.num.partitions": "10",
        # Tests start consumers one after another; waiting 3 s for more members helps nobody.
        "group.initial.rebalance.delay.ms": "0",
    }
    header = "# Written by portal_stack.kafka on every start; edits are overwritten.\n"
    return header + "".join(f"{key}={value}\n" for key, value in lines.items())


class LocalKafka:
    """Kafka for `make up` and the integration tests.

    Order of preference: `KAFKA_BOOTSTRAP_SERVERS` from the environment (nothing started);
    a broker already answering on the chosen port (reused, left running on stop); otherwise a
    new broker whose data lives in `base_dir` (kept between runs: storage is formatted once).
    """

    def __init__(
        self,
        base_dir: Path,
        *,
        port: int | None = None,
        controller_port: int | None = None,
        log_file: Path | None = None,
        ready_timeout: float = 90.0,
        use_env: bool = True,
    ) -> None:
        self.base_dir = base_dir
        self.port = port if port is not None else int(os.environ.get("KAFKA_PORT", DEFAULT_PORT))
        self.controller_port = controller_port
        self.log_file = log_file or base_dir / "kafka.log"
        self.ready_timeout = ready_timeout
        external = os.environ.get("KAFKA_BOOTSTRAP_SERVERS") if use_env else None
        self.external = bool(external)
        self.reused = False
        self.bootstrap_servers = external or f"{LOOPBACK}:{self.port}"
        self.process: ManagedProcess | None = None

    @property
    def started_here(self) -> bool:
        return self.process is not None

    def start(self) -> float:
        """Make a broker available; returns the seconds until it answered."""
        if self.external or self.process is not None:
            return 0.0
        if port_open(self.port):
            if kafka_answers(self.bootstrap_servers):
                self.reused = True
                return 0.0
            raise ProcessError(
                f"port {self.port} is taken by something that is not Kafka; set KAFKA_PORT or stop it"
            )
        properties = self._prepare()
        self.process = ManagedProcess(
            "kafka",
            _java(
                "log4j2-broker.xml",
                "kafka.Kafka",
                str(properties),
                heap=("-Xms256m", "-Xmx512m", "-XX:+ExitOnOutOfMemoryError"),
            ),
            log_file=self.log_file,
            ready=lambda: kafka_answers(self.bootstrap_servers),
            ready_timeout=self.ready_timeout,
            stop_timeout=30.0,  # a clean shutdown writes its snapshots; worth waiting for
        )
        return self.process.start_and_wait()

    def _prepare(self) -> Path:
        data_dir = self.base_dir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        properties = self.base_dir / "server.properties"
        ports_file = self.base_dir / "controller.port"
        if self.controller_port is None:
            # The controller's address is written into the metadata log when storage is
            # formatted, so a data dir keeps the controller port it was formatted with.
            if (data_dir / "meta.properties").is_file() and ports_file.is_file():
                self.controller_port = int(ports_file.read_text())
            else:
                self.controller_port = _default_controller_port(self.port)
        ports_file.write_text(f"{self.controller_port}\n")
        properties.write_text(
            server_properties(data_dir=data_dir, port=self.port, controller_port=self.controller_port)
        )
        if not (data_dir / "meta.properties").is_file():
            run_logged(
                "kafka storage format",
                _java(
                    "log4j2-tools.xml",
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    _cluster_id(),
                    "-c",
                    str(properties),
                    "--standalone",
                    "--ignore-formatted",
                ),
                self.log_file,
            )
        return properties

    def stop(self) -> None:
        """Stop the broker if this object started it; external and reused ones are left alone."""
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        self._own().kill()

    def restart(self) -> float:
        return self._own().restart()

    def _own(self) -> ManagedProcess:
        if self.process is None:
            raise ProcessError("this Kafka was not started here (external or reused)")
        return self.process

    def describe(self) -> str:
        if self.external:
            return f"Kafka at {self.bootstrap_servers} (KAFKA_BOOTSTRAP_SERVERS, not started here)"
        if self.reused:
            return f"Kafka at {self.bootstrap_servers} (already running, reused)"
        return f"Kafka {KAFKA_VERSION} at {self.bootstrap_servers} (local, log {self.log_file})"

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


def _default_controller_port(port: int) -> int:
    # 9092 -> 9093 for `make up`, like the Kafka quickstart; any other port gets a free one.
    if port == DEFAULT_PORT and not port_open(DEFAULT_CONTROLLER_PORT):
        return DEFAULT_CONTROLLER_PORT
    return free_port()


def describe_topics(bootstrap: str, *topics: str) -> dict[str, Any]:
    """Partition count and configs per topic, via TopicCommand (for operators and tests)."""
    # --topic takes one name (a regex), so describe everything and keep what was asked for.
    output = kafka_cli("TopicCommand", "--bootstrap-server", bootstrap, "--describe").stdout
    described: dict[str, Any] = {}
    for line in output.splitlines():
        fields = dict(part.split(": ", 1) for part in line.strip().split("\t") if ": " in part)
        if "PartitionCount" in fields and (not topics or fields["Topic"] in topics):
            described[fields["Topic"]] = {
                "partitions": int(fields["PartitionCount"]),
                "replication_factor": int(fields["ReplicationFactor"]),
                "configs": fields.get("Configs", ""),
            }
    return described
