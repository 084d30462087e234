"""The cheap failure drills on the session stack (the heavy ones: `make drill`, drills/README.md):
a poison message on every consumed topic, and a short database outage."""

from __future__ import annotations

from typing import Any

from drills.common import Verdict
from drills.database import database_outage, judge
from drills.poison import poison_every_topic
from portal_stack import Stack
from portal_stack.processes import run_blocking


def test_a_poison_message_on_every_consumed_topic_is_set_aside_and_the_consumer_goes_on(
    stack: Stack,
) -> None:
    outcomes = run_blocking(lambda: poison_every_topic(stack.bootstrap_servers), timeout=120)

    assert len({o.consumption.topic for o in outcomes}) >= 30  # every topic some service reads
    failing = [
        (o.consumption.group, o.consumption.topic, o.reason, o.dead_letter_headers_ok, o.went_on)
        for o in outcomes
        if not o.ok
    ]
    assert not failing
    # the reason names what is wrong with the record, not its content
    assert all("drill poison" not in (o.reason or "") for o in outcomes)


def test_a_database_outage_answers_503_problems_and_recovers_without_a_restart(
    stack: Stack, customer: Any
) -> None:
    report = database_outage(stack, customer.email, customer.password, seconds=3)

    verdict = Verdict("database outage")
    judge(report, verdict)
    assert verdict.passed, verdict.report()
    assert {p.name for p in report.probes} >= {"billing /ready", "log-in", "invoices", "meters"}
