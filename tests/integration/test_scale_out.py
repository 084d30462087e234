"""Scale-out: two instances each of metering and billing (the session stack runs them so, see
conftest.py) share the partitions of every consumer group, apply each event once, publish each
event once from their outbox relays, and run a scheduled job started on both at once once."""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import httpx
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment
from aiokafka.partitioner import murmur2
from aiokafka.protocol.admin import DescribeGroupsRequest, DescribeGroupsRequest_v2

from portal_chassis.job_lock import job_lock
from portal_chassis.settings import ServiceSettings
from portal_schemas.contracts import ContractTerminated
from portal_stack import Stack

SCALED = ("metering", "billing")
# Groups that must exist (a sample; every group of the two services is checked).
SOME_GROUPS = {
    "billing.final-settlement",
    "billing.reading-view",
    "metering.contract-terminated",
    "metering.interval-feed",
}
TERMINATED_TOPIC = ContractTerminated.topic()
INVOICE_ISSUED_TOPIC = "billing.invoice-issued.v1"


class DescribeGroups(DescribeGroupsRequest):
    # aiokafka 0.14 reads a version 3 answer with the version 2 layout (and fails): ask for 2.
    def build(self, request_struct_class: Any) -> Any:
        return DescribeGroupsRequest_v2(self._groups)


def group_members(bootstrap: str) -> dict[str, list[set[TopicPartition]]]:
    """Every metering and billing consumer group: the partitions of each member, once the
    group is stable (an empty dict while one is rebalancing)."""

    async def go() -> dict[str, list[set[TopicPartition]]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            listed = await admin.list_consumer_groups()
            names = sorted(g[0] for g in listed if str(g[0]).split(".", 1)[0] in SCALED)
            found: dict[str, list[set[TopicPartition]]] = {}
            coordinators: dict[int, list[str]] = {}
            for name in names:
                coordinators.setdefault(await admin.find_coordinator(name), []).append(name)
            for node, groups in coordinators.items():
                response = await admin._client.send(node, DescribeGroups(groups))
                for group in response.groups:
                    error, name, state, members = group[0], group[1], group[2], group[5]
                    if error or state != "Stable":
                        return {}
                    found[name] = [
                        set(ConsumerProtocolMemberAssignment.decode(member[-1]).partitions())
                        for member in members
                    ]
            return found
        finally:
            await admin.close()

    return asyncio.run(go())


def topic_partitions(bootstrap: str, topics: set[str]) -> dict[str, int]:
    async def go() -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(sorted(topics))
            return {t["topic"]: len(t["partitions"]) for t in described}
        finally:
            await admin.close()

    return asyncio.run(go())


def shared_groups(stack: Stack, helpers: Any) -> dict[str, list[set[TopicPartition]]]:
    """Once every group has one member per instance."""

    def settled() -> dict[str, list[set[TopicPartition]]]:
        groups = group_members(stack.bootstrap_servers)
        ready = set(groups) >= SOME_GROUPS and all(len(members) == 2 for members in groups.values())
        return groups if ready else {}

    groups: dict[str, list[set[TopicPartition]]] = helpers.eventually(settled, timeout=60, interval=0.5)
    return groups


def test_every_consumer_group_has_one_member_per_instance_sharing_its_partitions(
    stack: Stack, helpers: Any
) -> None:
    assert [len(stack.instances[name]) for name in SCALED] == [2, 2]

    groups = shared_groups(stack, helpers)

    topics = {tp.topic for members in groups.values() for owned in members for tp in owned}
    partitions = topic_partitions(stack.bootstrap_servers, topics)
    for name, (first, second) in groups.items():
        assert not first & second, name  # no partition read by both
        [topic] = {tp.topic for tp in first | second}
        assert first | second == {TopicPartition(topic, p) for p in range(partitions[topic])}, name
        if partitions[topic] > 1:
            assert first and second, f"{name}: one instance reads all of {topic}"


def test_the_gateway_sends_requests_to_every_instance(stack: Stack, gateway: httpx.Client) -> None:
    marker = uuid.uuid4().hex[:12]
    for service in SCALED:
        for n in range(6):
            assert (
                gateway.get(f"/{service}/health", headers={"X-Request-ID": f"{marker}-{n}"}).status_code
                == 200
            )

    lines = (stack.config.run_dir / "gateway" / "access.log").read_text().splitlines()
    served = [json.loads(line) for line in lines if marker in line]
    for service in SCALED:
        upstreams = {e["upstream"] for e in served if e["path"] == f"/{service}/health"}
        assert upstreams == {instance.url.removeprefix("http://") for instance in stack.instances[service]}


def spread_keys(count_per_partition: int, partitions: int) -> list[str]:
    """Contract ids whose records land evenly on every partition (Kafka's default partitioner),
    so each instance gets some whichever partitions it owns."""
    keys: dict[int, list[str]] = {p: [] for p in range(partitions)}
    while any(len(k) < count_per_partition for k in keys.values()):
        key = f"legacy-{uuid.uuid4()}"
        partition = (murmur2(key.encode()) & 0x7FFFFFFF) % partitions
        if len(keys[partition]) < count_per_partition:
            keys[partition].append(key)
    return [key for part in keys.values() for key in part]


def applied(stack: Stack, service: str, group: str, event_ids: set[str]) -> list[Counter[str]]:
    """Per instance of ``service``: how often each of ``event_ids`` was applied in ``group``."""
    counts = []
    for instance in stack.instances[service]:
        seen: Counter[str] = Counter()
        for line in instance.log_file.read_text(errors="replace").splitlines():
            if '"event applied"' not in line:
                continue
            entry = json.loads(line)
            if entry.get("group") == group and entry.get("event_id") in event_ids:
                seen[entry["event_id"]] += 1
        counts.append(seen)
    return counts


def test_events_shared_by_the_instances_are_each_applied_once_and_published_once(
    stack: Stack, kafka: Any, databases: Any, customer: Any, mail: Any, helpers: Any
) -> None:
    shared_groups(stack, helpers)
    partitions = topic_partitions(stack.bootstrap_servers, {TERMINATED_TOPIC})[TERMINATED_TOPIC]
    contract_ids = spread_keys(4, partitions)
    event_ids = set()
    for contract_id in contract_ids:  # older contracts of the customer: a final invoice each, at once
        terminated = helpers.older_contract_ended(customer.customer_number, contract_id)
        event_ids.add(str(kafka.publish_event(terminated, contract_id, "contracts").event_id))

    # Billing: one final invoice per contract, neither lost nor issued twice.
    finals = "SELECT id, number, contract_id FROM invoices WHERE customer_number = $1"
    invoices = helpers.eventually(
        lambda: (
            (rows := databases["billing"].fetch(finals, customer.customer_number))
            and len(rows) >= len(contract_ids)
            and rows
        ),
        timeout=60,
    )
    assert sorted(r["contract_id"] for r in invoices) == sorted(contract_ids)
    # Metering keeps each termination of a contract it never knew (early_terminations).
    early = "SELECT contract_id FROM early_terminations WHERE contract_id = ANY($1::text[])"
    helpers.eventually(lambda: len(databases["metering"].fetch(early, contract_ids)) == len(contract_ids))

    # Each event applied once, by one instance or the other, and both instances had a share.
    for service, group in (
        ("billing", "billing.final-settlement"),
        ("metering", "metering.contract-terminated"),
    ):
        per_instance = helpers.eventually(
            lambda service=service, group=group: (
                (counts := applied(stack, service, group, event_ids))
                and sum(counts, Counter()).keys() == event_ids
                and counts
            ),
        )
        assert sum(per_instance, Counter()) == Counter(dict.fromkeys(event_ids, 1)), service
        assert all(per_instance), f"{service}: one instance applied every event"

    # Both relays publish from one outbox: each InvoiceIssued on Kafka once.
    ids = {r["id"] for r in invoices}
    issued = kafka.envelopes(INVOICE_ISSUED_TOPIC, lambda es: {e["subject"] for e in es} >= ids)
    mine = [e for e in issued if e["subject"] in ids]
    assert Counter(e["subject"] for e in mine) == Counter(dict.fromkeys(ids, 1))
    assert len({e["event_id"] for e in mine}) == len(ids)

    # And one mail per invoice.
    numbers = {r["number"] for r in invoices}

    def invoice_mails() -> list[Any]:
        found = [m for m in mail.list() if customer.email in m.to and any(n in m.subject for n in numbers)]
        return found if len(found) >= len(numbers) else []

    mails = helpers.eventually(invoice_mails, timeout=60)
    assert Counter(n for m in mails for n in numbers if n in m.subject) == Counter(dict.fromkeys(numbers, 1))


class BillingJobs(ServiceSettings):
    """Billing's database, as a run of one of its commands on another instance sees it."""

    service_name: ClassVar[str] = "billing"


def advance_run(
    stack: Stack, instance: int, month: str, stderr: Any = subprocess.PIPE
) -> subprocess.Popen[str]:
    """``python -m billing advance-run`` as cron starts it beside instance ``instance``."""
    return subprocess.Popen(
        [stack.config.python, "-m", "billing", "advance-run", "--month", month, "--today", f"{month}-01"],
        env=stack.instances["billing"][instance].env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def finished(run: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err[-2000:]
    summary: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return summary


def advances(databases: Any, contract_id: str, month: str) -> list[Any]:
    return list(
        databases["billing"].fetch(
            "SELECT id FROM invoices WHERE contract_id = $1 AND kind = 'advance' AND period_start = $2",
            contract_id,
            date.fromisoformat(f"{month}-01"),
        )
    )


def test_a_scheduled_job_started_on_both_instances_issues_once(
    stack: Stack,
    new_customer: Any,
    databases: Any,
    kafka: Any,
    gateway: httpx.Client,
    helpers: Any,
    tmp_path: Path,
) -> None:
    # A contract from 2031, a year no other test supplies in: the runs bill little besides it.
    customer = new_customer(start_date="2031-01-01", fixed_term_end="2034-01-01", annual_kwh="2500")
    auth = helpers.log_in(gateway, customer.email, customer.password)
    helpers.eventually(
        lambda: (
            gateway.get(f"/billing/v1/contracts/{customer.contract_id}/advance", headers=auth)
            .json()
            .get("current_amount")
        ),
        timeout=30,
    )

    # Started at once beside each instance: one after the other (the job lock), so the later
    # run finds the month done.
    runs = [advance_run(stack, instance, "2031-03") for instance in (0, 1)]
    summaries = [finished(run) for run in runs]
    assert sorted(s["issued"] for s in summaries)[0] == 0
    [invoice] = advances(databases, customer.contract_id, "2031-03")
    assert len(kafka.keyed(INVOICE_ISSUED_TOPIC, invoice["id"])) == 1

    # While a run on the other instance holds the lock, a new one says so and waits.
    other_instance = BillingJobs(database_url=stack.database_urls["billing"])
    said = tmp_path / "stderr.txt"
    with job_lock(other_instance, "advance-run"), said.open("w") as stderr:
        run = advance_run(stack, 1, "2031-05", stderr=stderr)
        helpers.eventually(
            lambda: "billing advance-run: another run is in progress" in said.read_text(), timeout=60
        )
        assert run.poll() is None
        assert advances(databases, customer.contract_id, "2031-05") == []
    out, _ = run.communicate(timeout=120)
    assert run.returncode == 0, said.read_text()[-2000:]
    assert json.loads(out.strip().splitlines()[-1])["issued"] >= 1
    assert len(advances(databases, customer.contract_id, "2031-05")) == 1
