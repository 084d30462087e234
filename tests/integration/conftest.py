"""The whole suite as separate processes on real Kafka, PostgreSQL, SMTP and nginx.

One stack per test session (started by portal_stack, the same code `make up` uses): Kafka
from the cached jars (or a container where a Docker engine and its images are available),
a throwaway PostgreSQL cluster with one database and role per service, the mail catcher,
the five services and the gateway, all on free loopback ports.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import io
import itertools
import json
import os
import random
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pypdf import PdfReader
from stdnum import ean as gs1

from portal_schemas import Envelope, EventData
from portal_schemas.contracts import ContractTerminated
from portal_schemas.hub import IntervalReading, IntervalReadingsPublished, MeterInstalled, RegisterSpec
from portal_stack import MailCatcherClient, Stack, StackConfig, describe
from portal_stack.commands import CommandRunner

pytestmark = pytest.mark.integration

SCALED_OUT = {"metering": 2, "billing": 2}  # instances of the session stack's services


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    # Metering and billing run twice, as they are deployed (test_scale_out.py proves the sharing).
    config = StackConfig.ephemeral(tmp_path_factory.mktemp("stack"), database="postgres", replicas=SCALED_OUT)
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


_client_addresses = itertools.count(1)


@pytest.fixture(autouse=True)
def own_client_address(gateway: httpx.Client) -> None:
    """Each test is a client of its own on the internet (X-Forwarded-For, which the gateway trusts
    from this machine): identity's limit on failed attempts per client (20 in 15 minutes) then
    counts one test's failures, not those of every test's polling for its registration."""
    n = next(_client_addresses)
    gateway.headers["X-Forwarded-For"] = f"198.18.{n // 250 % 256}.{n % 250 + 1}"


@pytest.fixture(scope="session")
def mail(stack: Stack) -> Iterator[MailCatcherClient]:
    with stack.mail_client() as client:
        yield client


@dataclass
class Cli:
    """Runs a service's operations commands with that service's own environment, forked from a
    warm process per service (portal_stack.commands): a fork instead of seconds of start-up."""

    stack: Stack
    runner: CommandRunner
    # Operator tokens by operator: valid an hour, longer than the integration tests take.
    _operator_tokens: dict[str, str] = field(default_factory=dict)

    def __call__(self, service: str, *args: str, stdin: str = "") -> str:
        [output] = self.together((service, args, stdin))
        return output

    def together(self, *commands: tuple[str, tuple[str, ...], str]) -> list[str]:
        """Runs (service, args, stdin) commands at the same time; returns the last line each
        printed, in order."""
        running = [
            self.runner.start(service, args, env=self.stack.services[service].env, stdin=stdin)
            for service, args, stdin in commands
        ]
        outputs = []
        for started in running:
            finished = self.runner.wait(started, timeout=60)
            assert finished.code == 0, finished.err[-2000:]
            outputs.append(finished.out.strip().splitlines()[-1])
        return outputs

    def create_contract(self, customer_number: str, **options: str | None) -> str:
        """``contracts create-contract``: an electricity contract on VAST-3JR from 2026-01-01 to
        2029-01-01 at 1234AB unless ``options`` (``fixed_term_end=...`` for ``--fixed-term-end``)
        say otherwise; an option set to None is left out. Returns the contract id."""
        [contract_id] = self.together(self.contract_command(customer_number, **options))
        return contract_id

    @staticmethod
    def contract_command(customer_number: str, **options: str | None) -> tuple[str, tuple[str, ...], str]:
        chosen = {
            "name": "Test Klant",
            "commodity": "electricity",
            "product_code": "VAST-3JR",
            "start_date": "2026-01-01",
            "fixed_term_end": "2029-01-01",
            "supply_postcode": "1234AB",
            **options,
        }
        flags: list[str] = []
        for name, value in chosen.items():
            if value is not None:
                flags += ["--" + name.replace("_", "-"), value]
        return "contracts", ("create-contract", "--customer-number", customer_number, *flags), ""

    def create_account(self, email: str, customer_number: str, password: str) -> str:
        """``identity create-account``: an active account; returns its id."""
        [account_id] = self.together(self.account_command(email, customer_number, password))
        return account_id

    @staticmethod
    def account_command(email: str, customer_number: str, password: str) -> tuple[str, tuple[str, ...], str]:
        return (
            "identity",
            ("create-account", "--email", email, "--customer-number", customer_number),
            password + "\n",
        )

    def operator_headers(self, operator: str = "ops") -> dict[str, str]:
        """A bearer header with an operations token (audience portal-operations)."""
        if operator not in self._operator_tokens:
            self._operator_tokens[operator] = self("identity", "operator-token", "--operator", operator)
        return {"Authorization": f"Bearer {self._operator_tokens[operator]}"}

    def forget_operator_tokens(self) -> None:
        """After the key that signed them is retired: the next operator_headers asks anew."""
        self._operator_tokens.clear()


@pytest.fixture(scope="session")
def cli(stack: Stack) -> Iterator[Cli]:
    runner = CommandRunner(stack.config.python, stack.config.run_dir / "commands")
    yield Cli(stack, runner)
    runner.close()


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

    def publish_event(self, data: EventData, subject: str, producer: str) -> Envelope:
        """``data`` in a new envelope on its topic, keyed by ``subject``, as ``producer`` would."""
        envelope = Envelope.wrap(data, subject=subject, producer=producer)
        self.publish(type(data).topic(), envelope.to_json(), key=subject)
        return envelope

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

    def keyed(self, topic: str, key: str, count: int = 1) -> list[ConsumerRecord[bytes, bytes]]:
        """The records of ``topic`` with ``key``, once there are at least ``count`` of them."""
        wanted = key.encode()
        records = self.read(topic, lambda rs: sum(r.key == wanted for r in rs) >= count)
        return [r for r in records if r.key == wanted]

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

    def wait_until_handled(self, topic: str, key: str, group: str) -> ConsumerRecord[bytes, bytes]:
        """Until consumer group ``group`` has handled the latest record of ``topic`` with ``key``
        (for example a read model a test relies on is up to date); returns that record."""
        record = self.keyed(topic, key)[-1]
        self.wait_for_group(group, record)
        return record

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

    def about(self, topic: str, subject: str, count: int = 1) -> list[dict[str, Any]]:
        """The envelopes of ``topic`` about ``subject``, once there are at least ``count``."""
        events = self.envelopes(topic, lambda es: sum(e["subject"] == subject for e in es) >= count)
        return [e for e in events if e["subject"] == subject]


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


class Database:
    """One service's own database, reached with that service's role (as the service itself)."""

    def __init__(self, url: str) -> None:
        self.url = url.replace("postgresql+asyncpg", "postgresql")

    def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        async def go() -> list[asyncpg.Record]:
            connection = await asyncpg.connect(self.url)
            try:
                return list(await connection.fetch(sql, *args))
            finally:
                await connection.close()

        return asyncio.run(go())


@pytest.fixture(scope="session")
def databases(stack: Stack) -> dict[str, Database]:
    return {name: Database(url) for name, url in stack.database_urls.items()}


PASSWORD = "a sturdy passphrase"


@dataclass
class Customer:
    customer_number: str
    email: str
    password: str
    account_id: str
    contract_id: str
    ean: str | None = None


def new_customer_number() -> str:
    return str(uuid.uuid4().int)[:9]


NewCustomer = Callable[..., Customer]  # what the new_customer fixture returns


@pytest.fixture
def new_customer(cli: Cli, databases: dict[str, Database], mail: MailCatcherClient) -> NewCustomer:
    """Makes a customer with a contract (``cli.create_contract``'s defaults, changed by the
    options given) and a portal account, known to every service, with an empty mailbox."""

    def make(**contract_options: str | None) -> Customer:
        number = new_customer_number()
        email = f"klant{number}@example.nl"
        contract_id, account_id = cli.together(
            cli.contract_command(number, **contract_options), cli.account_command(email, number, PASSWORD)
        )
        notifications = databases["notifications"]
        # Notifications knows the address once AccountActivated is applied (the recipient row
        # is written with the inbox claim), and the contract's confirmation and its three
        # documents are queued then, parked first or not, whichever event came first.
        known = "SELECT count(*) AS n FROM recipients WHERE account_id = $1"
        eventually(lambda: notifications.fetch(known, account_id)[0]["n"], timeout=30)
        contract_mails = (
            "SELECT count(*) AS n FROM deliveries WHERE customer_number = $1"
            " AND kind IN ('contract_confirmation', 'document_available')"
        )
        eventually(lambda: notifications.fetch(contract_mails, number)[0]["n"] >= 4, timeout=30)
        _discard_welcome_mails(notifications, mail, number, email)
        return Customer(number, email, PASSWORD, account_id, contract_id, contract_options.get("ean"))

    return make


def _discard_welcome_mails(notifications: Database, mail: MailCatcherClient, number: str, email: str) -> None:
    """The contract's confirmation and documents: wait until they are mailed and delete them, so
    tests see only the mails they cause."""
    released = notifications.fetch(
        "SELECT count(*) AS n FROM deliveries WHERE customer_number = $1 AND status IN ('pending', 'sent')",
        number,
    )[0]["n"]
    if not released:
        return

    def arrived() -> list[Any]:
        found = [m for m in mail.list() if email in m.to]
        return found if len(found) >= released else []

    for message in eventually(arrived, timeout=30):
        mail.delete(message.id)


@pytest.fixture
def customer(new_customer: NewCustomer) -> Customer:
    """A customer with an electricity contract and a portal account, known to every service."""
    return new_customer()


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


def meter_installed(
    ean: str,
    serial: str,
    installed_on: date,
    registers: dict[str, tuple[int, str]],
    *,
    smart: bool,
    **extra: Any,
) -> MeterInstalled:
    """The hub's notice that ``serial`` was placed (indoors) at connection ``ean``;
    ``registers``: register type -> (digits, index at placement)."""
    return MeterInstalled(
        notice_id=f"N-{uuid.uuid4().hex[:12]}",
        ean=ean,
        meter_serial=serial,
        installed_on=installed_on,
        smart=smart,
        location="indoors",
        registers=[
            RegisterSpec.model_validate({"register_type": r, "digits": digits, "index": index})
            for r, (digits, index) in registers.items()
        ],
        **extra,
    )


def publish_intervals(
    kafka: Kafka, ean: str, channel: str, unit: str, starts: list[datetime], value: str, minutes: int = 60
) -> None:
    """The hub's interval data for ``ean``: ``value`` for each interval of ``minutes`` from ``starts``."""
    batch = IntervalReadingsPublished.model_validate(
        {
            "batch_id": uuid.uuid4().hex,
            "ean": ean,
            "channel": channel,
            "interval_minutes": minutes,
            "unit": unit,
            "readings": [IntervalReading.model_validate({"start": s, "value": value}) for s in starts],
        }
    )
    kafka.publish_event(batch, ean, "hub")


def legacy_hash(password: str, salt: bytes, iterations: int = 10_000) -> str:
    """A password hash as the old portal stored it (PBKDF2-SHA256)."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    encode = base64.b64encode
    return f"pbkdf2_sha256${iterations}${encode(salt).decode()}${encode(digest).decode()}"


def text_of(pdf: bytes) -> str:
    """A PDF's text with every run of white space as one space."""
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


def euro_nl(amount: str) -> str:
    """An amount as the Dutch mails write it: 1.234,56."""
    return f"{Decimal(amount):,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")


def activate_from_mail(gateway: httpx.Client, mail: MailCatcherClient, email: str) -> None:
    """Activates a new account with the link of its activation mail."""
    message = mail.wait_for(lambda m: email in m.to and "activate?token=" in (m.text or ""), timeout=30)
    [token] = re.findall(r"activate\?token=(\S+)", message.text or "")
    activated = gateway.post("/identity/v1/activations", json={"token": token})
    assert activated.status_code == 204, activated.text


def older_contract_ended(customer_number: str, contract_id: str) -> ContractTerminated:
    """The end (a move, 2026-12-31) of a contract billing never heard of, with a 121.00 fee
    (100.00 + 21 % VAT): billing invoices the fee alone, at once."""
    return ContractTerminated(
        contract_id=contract_id,
        customer_number=customer_number,
        end_date=date(2026, 12, 31),
        reason="move",
        termination_fee=Decimal("121.00"),
        termination_fee_excl_vat=Decimal("100.00"),
        termination_fee_vat_rate=Decimal("0.21"),
    )


def final_invoice(
    gateway: httpx.Client, kafka: Kafka, customer: Customer, auth: dict[str, str] | None = None
) -> dict[str, Any]:
    """Ends an older contract of the customer, one billing never heard of (its history predates
    billing), with a 121.00 fee (100.00 + 21 % VAT): billing issues its final invoice, the fee
    alone, at once (the customer's current contract would wait for its final reading)."""
    auth = auth or log_in(gateway, customer.email, customer.password)
    contract_id = f"legacy-{uuid.uuid4()}"
    kafka.publish_event(older_contract_ended(customer.customer_number, contract_id), contract_id, "contracts")
    [invoice] = eventually(
        lambda: gateway.get("/billing/v1/invoices", headers=auth).json()["items"], timeout=30
    )
    assert (invoice["kind"], invoice["status"], invoice["total_incl_vat"]) == (
        "final_settlement",
        "open",
        "121.00",
    )
    return dict(invoice)


@pytest.fixture(scope="session")
def helpers() -> Any:
    class Helpers:
        log_in = staticmethod(log_in)
        eventually = staticmethod(eventually)
        new_ean = staticmethod(new_ean)
        new_customer_number = staticmethod(new_customer_number)
        meter_installed = staticmethod(meter_installed)
        activate_from_mail = staticmethod(activate_from_mail)
        final_invoice = staticmethod(final_invoice)
        older_contract_ended = staticmethod(older_contract_ended)
        publish_intervals = staticmethod(publish_intervals)
        legacy_hash = staticmethod(legacy_hash)
        text_of = staticmethod(text_of)
        euro_nl = staticmethod(euro_nl)

    return Helpers


ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("PORTAL_REPO_ROOT", str(ROOT))
# Services trust fetched signing keys 5 s (not 300): a retired key stops working within the test
# (test_operations.py); a rotated key signs at once instead of after a minute's publication.
os.environ.setdefault("JWKS_CACHE_SECONDS", "5")
os.environ.setdefault("IDENTITY_SIGNING_KEY_PUBLISH_SECONDS", "0")
