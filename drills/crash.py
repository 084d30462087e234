"""Crashes under load: kill -9 of each service in turn, and of the Kafka broker, while readings
and billing events flow; then 0 lost and 0 duplicated readings, invoices and emails.

Each is one wave of the workload (drills/load.py) paced over a stretch of time; the failures
happen during it at even intervals. A killed process is started again at once (as a process
supervisor or Kubernetes would) and the drill waits until it is ready before the next one.
"""

from __future__ import annotations

import asyncio
import time

from portal_stack import LocalKafka, Stack

from .common import Verdict, say
from .load import Workload, judge, wait_until_counted, wave_under

FLOW = ("metering", "billing", "notifications")


def _kill_and_restart(stack: Stack, name: str) -> float:
    service = stack.services[name]
    service.kill()
    started = time.monotonic()
    service.restart()
    return time.monotonic() - started


async def services_killed(
    workload: Workload, *, readings: int, terminations: int, seconds: float, within: float
) -> Verdict:
    stack = workload.stack
    # The three the load flows through first, while the wave is still being sent.
    order = [name for name in FLOW if name in stack.services]
    order += [name for name in stack.services if name not in FLOW]
    verdict = Verdict(f"kill -9 each service in turn ({', '.join(order)})")
    pause = seconds / (len(order) + 1)

    async def kills() -> None:
        for name in order:
            await asyncio.sleep(pause)
            back = await asyncio.to_thread(_kill_and_restart, stack, name)
            verdict.figure(f"killed {name} (kill -9), ready again after {back:.1f}s")

    started = time.monotonic()
    await wave_under(workload, "kill", readings, terminations, seconds, kills)
    counted = await wait_until_counted(workload, within)
    verdict.figure(f"all counted {time.monotonic() - started:.1f}s after the wave began")
    judge(workload, counted, verdict)
    return verdict


def _broker_killed(stack: Stack) -> float:
    kafka = stack.kafka
    assert isinstance(kafka, LocalKafka) and kafka.process is not None, "a local broker"
    kafka.process.kill()
    started = time.monotonic()
    kafka.process.start_and_wait()
    return time.monotonic() - started


async def broker_restarted(
    workload: Workload, *, readings: int, terminations: int, seconds: float, within: float
) -> Verdict:
    stack = workload.stack
    verdict = Verdict("Kafka broker killed (kill -9) and restarted mid-stream")

    async def restart() -> None:
        await asyncio.sleep(seconds / 2)
        back = await asyncio.to_thread(_broker_killed, stack)
        verdict.figure(f"broker killed {seconds / 2:.0f}s into the wave, accepting again after {back:.1f}s")

    started = time.monotonic()
    await wave_under(workload, "broker", readings, terminations, seconds, restart)
    counted = await wait_until_counted(workload, within)
    verdict.figure(f"all counted {time.monotonic() - started:.1f}s after the wave began")
    judge(workload, counted, verdict)
    say(f"services ready after the broker restart: {_all_ready(stack)}")
    return verdict


def _all_ready(stack: Stack) -> bool:
    return all(service.ready is None or service.ready() for service in stack.services.values())
