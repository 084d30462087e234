"""The whole suite as separate processes on real Kafka, PostgreSQL, SMTP and nginx.

One stack per test session (started by portal_stack, the same code `make up` uses): Kafka
from the cached jars (or a container where a Docker engine and its images are available),
a throwaway PostgreSQL cluster with one database and role per service, the mail catcher,
the five services and the gateway, all on free loopback ports.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from stdnum import ean as gs1

from portal_stack import MailCatcherClient, Stack, StackConfig, describe

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    config = StackConfig.ephemeral(tmp_path_factory.mktemp("stack"), database="postgres")
    suite = Stack(config)
    seconds = suite.start(report=lambda line: print(f"[stack] {line}", file=sys.stderr))
    print(f"[stack] ready in {seconds:.1f}s; infrastructure: {describe()}", file=sys.stderr)
    try:
        yield suite
    finally:
        suite.stop()


@pytest.fixture(scope="session")
def gateway(stack: Stack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.gateway_url, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def mail(stack: Stack) -> Iterator[MailCatcherClient]:
    with stack.mail_client() as client:
        yield client


@dataclass
class Cli:
    """Runs a service's operations commands with that service's own environment."""

    stack: Stack

    def __call__(self, service: str, *args: str, stdin: str = "") -> str:
        handle = self.stack.services[service]
        result = subprocess.run(
            [self.stack.config.python, "-m", service, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=handle.env,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def cli(stack: Stack) -> Cli:
    return Cli(stack)


class Kafka:
    """Reads and writes topics directly, as an operator or a downstream system would."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap

    def publish(self, topic: str, value: bytes, key: str | None = None) -> None:
        async def go() -> None:
            producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
            await producer.start()
            try:
                await producer.send_and_wait(topic, value, key=key.encode() if key else None)
            finally:
                await producer.stop()

        asyncio.run(go())

    def read(
        self,
        topic: str,
        until: Callable[[list[ConsumerRecord[bytes, bytes]]], bool],
        timeout: float = 30.0,
    ) -> list[ConsumerRecord[bytes, bytes]]:
        """Every record of ``topic`` from the beginning, once ``until(records)`` holds."""

        async def go() -> list[ConsumerRecord[bytes, bytes]]:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                group_id=None,
            )
            await consumer.start()
            try:
                partitions = [
                    TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []
                ] or [TopicPartition(topic, p) for p in await self._partitions(consumer, topic)]
                consumer.assign(partitions)
                await consumer.seek_to_beginning(*partitions)
                records: list[ConsumerRecord[bytes, bytes]] = []
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    batch = await consumer.getmany(timeout_ms=300)
                    for part in batch.values():
                        records.extend(part)
                    if until(records):
                        return records
                raise TimeoutError(f"{topic}: condition not met; {len(records)} records seen")
            finally:
                await consumer.stop()

        return asyncio.run(go())

    def wait_for_group(self, group: str, record: ConsumerRecord[bytes, bytes], timeout: float = 30.0) -> None:
        """Until consumer group ``group`` has handled ``record`` (committed past its offset)."""

        async def go() -> None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
            await admin.start()
            try:
                partition = TopicPartition(record.topic, record.partition)
                deadline = time.monotonic() + timeout
                while time.monotonic() < deadline:
                    offsets = await admin.list_consumer_group_offsets(group)
                    committed = offsets.get(partition)
                    if committed is not None and committed.offset > record.offset:
                        return
                    await asyncio.sleep(0.1)
                raise TimeoutError(f"{group} has not handled {partition} offset {record.offset}")
            finally:
                await admin.close()

        asyncio.run(go())

    @staticmethod
    async def _partitions(consumer: AIOKafkaConsumer, topic: str) -> set[int]:
        await consumer._client.force_metadata_update()
        return consumer.partitions_for_topic(topic) or set()

    def envelopes(self, topic: str, until: Callable[[list[dict[str, Any]]], bool]) -> list[dict[str, Any]]:
        decoded: list[dict[str, Any]] = []

        def check(records: list[ConsumerRecord[bytes, bytes]]) -> bool:
            decoded[:] = [e for e in (_envelope(r.value) for r in records) if e is not None]
            return until(decoded)

        self.read(topic, check)
        return decoded


def _envelope(value: bytes | None) -> dict[str, Any] | None:
    """Decoded envelope, or None for the poison messages some tests put on topics."""
    try:
        body = json.loads(value or b"")
    except ValueError:
        return None
    return body if isinstance(body, dict) and "data" in body else None


@pytest.fixture(scope="session")
def kafka(stack: Stack) -> Kafka:
    return Kafka(stack.bootstrap_servers)


@dataclass
class Customer:
    customer_number: str
    email: str
    password: str
    account_id: str
    contract_id: str


@pytest.fixture
def customer(cli: Cli, kafka: Kafka) -> Customer:
    """A customer with an electricity contract and a portal account, known to every service."""
    number = str(uuid.uuid4().int)[:9]
    email = f"klant{number}@example.nl"
    password = "a sturdy passphrase"
    contract_id = cli(
        "contracts", "create-contract", "--customer-number", number, "--name", "Test Klant",
        "--commodity", "electricity", "--product-code", "VAST-3JR", "--start-date", "2026-01-01",
        "--fixed-term-end", "2029-01-01", "--supply-postcode", "1234AB",
    )  # fmt: skip
    account_id = cli(
        "identity", "create-account", "--email", email, "--customer-number", number,
        stdin=password + "\n",
    )  # fmt: skip
    # Notifications learns the customer's address from AccountActivated: wait until its consumer
    # group has committed past that event before the test makes emails happen.
    records = kafka.read(
        "identity.account-activated.v1", lambda rs: any(r.key == account_id.encode() for r in rs)
    )
    [record] = [r for r in records if r.key == account_id.encode()]
    kafka.wait_for_group("notifications.recipients", record)
    return Customer(number, email, password, account_id, contract_id)


def log_in(gateway: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = gateway.post("/identity/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def eventually(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.2) -> Any:
    """Poll ``check`` until it returns something truthy (events take a moment to flow)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


def new_ean() -> str:
    """A fresh 18-digit connection code (EAN) with a valid GS1 check digit."""
    body = "8716" + "".join(random.choices("0123456789", k=13))
    return body + gs1.calc_check_digit(body)


@pytest.fixture(scope="session")
def helpers() -> Any:
    class Helpers:
        log_in = staticmethod(log_in)
        eventually = staticmethod(eventually)
        new_ean = staticmethod(new_ean)

    return Helpers


ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("PORTAL_REPO_ROOT", str(ROOT))
