"""A full replay: every consumer group of metering, billing and notifications reset to the
earliest offset, as an operator would (stop the service, kafka-consumer-groups
--reset-offsets --to-earliest --execute, start it), and all history read again. Nothing may be
applied twice: the inbox (and the feed's slots) drop what was applied before, so no row count
in any service, no email and no reading sum changes.
"""

from __future__ import annotations

import asyncio
import time

from portal_stack import Stack

from .common import Verdict, say
from .kafka import consumed_topics, lag, reset_to_earliest
from .tally import totals

REPLAYED = ("metering", "billing", "notifications")


def run(stack: Stack, within: float = 900.0) -> Verdict:
    verdict = Verdict(f"consumer groups of {', '.join(REPLAYED)} reset to the earliest offset (full replay)")
    bootstrap = stack.bootstrap_servers
    consumptions = consumed_topics(REPLAYED)
    before = asyncio.run(totals(stack))
    for service in REPLAYED:
        stack.services[service].stop()
    reset_to_earliest(bootstrap, consumptions)
    behind = asyncio.run(lag(bootstrap, consumptions))
    records = sum(behind.values())
    verdict.figure(f"{len(consumptions)} groups reset: {records:,} records to read again")
    started = time.monotonic()
    for service in REPLAYED:
        stack.services[service].start_and_wait()
    while True:
        behind = asyncio.run(lag(bootstrap, consumptions))
        left = sum(behind.values())
        if left == 0 or time.monotonic() - started > within:
            break
        say(f"replay: {left:,} records still to read")
        time.sleep(5)
    seconds = time.monotonic() - started
    verdict.check(left == 0, f"replay not finished after {within:.0f}s: {left:,} records left")
    verdict.figure(f"replayed {records - left:,} records in {seconds:.1f}s, the services' start included")
    time.sleep(3)  # the sender and relays: anything a replay had queued would go out now
    after = asyncio.run(totals(stack))
    changed = {
        k: (before.counts[k], after.counts[k]) for k in before.counts if before.counts[k] != after.counts[k]
    }
    verdict.figure(
        "unchanged: " + ", ".join(f"{k} {v:,}" for k, v in after.counts.items() if k not in changed)
    )
    for what, (was, now) in changed.items():
        verdict.check(False, f"{what}: {was:,} before the replay, {now:,} after")
    verdict.check(before.readings_total == after.readings_total, "the readings' sum changed")
    return verdict
