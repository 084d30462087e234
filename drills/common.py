"""What the drills share: their own stack, progress lines, verdicts and the services' CLI."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from portal_stack import Stack, StackConfig

_STARTED = time.monotonic()


def say(line: str) -> None:
    """A progress line, stamped with the seconds since the drills started."""
    print(f"[{time.monotonic() - _STARTED:7.1f}s] {line}", flush=True)


@dataclass
class Verdict:
    """A drill's outcome: its figures and PASS or FAIL with the reasons."""

    drill: str
    figures: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def figure(self, line: str) -> None:
        self.figures.append(line)
        say(line)

    def check(self, holds: bool, failure: str) -> None:
        if not holds and failure not in self.failures:
            self.failures.append(failure)

    def report(self) -> str:
        lines = [f"== {self.drill}: {'PASS' if self.passed else 'FAIL'}"]
        lines += [f"   {line}" for line in self.figures]
        lines += [f"   FAIL: {line}" for line in self.failures]
        return "\n".join(lines)


@contextmanager
def drill_stack(run_dir: Path, log_level: str = "INFO") -> Iterator[Stack]:
    """The whole suite on free ports with its own Kafka and PostgreSQL (local processes, so a
    drill can kill them), removed again afterwards."""
    config = StackConfig.ephemeral(run_dir, database="postgres", infrastructure="local")
    config.log_level = log_level
    stack = Stack(config)
    seconds = stack.start(report=lambda line: say(f"stack: {line}"))
    say(f"stack ready in {seconds:.1f}s (logs in {config.log_dir})")
    try:
        yield stack
    finally:
        stack.stop()


def run_cli(stack: Stack, service: str, *args: str, stdin: str = "") -> str:
    """``python -m <service> <args>`` with the service's environment; its last output line."""
    completed = subprocess.run(
        [stack.config.python, "-m", service, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=stack.services[service].env,
        timeout=120,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{service} {args[0]} failed: {completed.stderr[-2000:]}")
    return completed.stdout.strip().splitlines()[-1]


@dataclass(frozen=True)
class Customer:
    customer_number: str
    email: str
    password: str
    account_id: str


PASSWORD = "a sturdy drill passphrase"  # noqa: S105 - the throwaway accounts' password


def create_customers(stack: Stack, count: int, prefix: str = "7") -> list[Customer]:
    """``count`` customers with an electricity contract and an active portal account, made
    with the services' own commands (a few at a time: each starts a Python)."""

    def one(i: int) -> Customer:
        number = f"{prefix}{i:08d}"
        email = f"drill{number}@example.nl"
        run_cli(
            stack, "contracts", "create-contract", "--customer-number", number, "--name", "Drill Klant",
            "--commodity", "electricity", "--product-code", "VAST-3JR", "--start-date", "2026-01-01",
            "--fixed-term-end", "2029-01-01", "--supply-postcode", "1234AB",
        )  # fmt: skip
        account_id = run_cli(
            stack, "identity", "create-account", "--email", email, "--customer-number", number,
            stdin=PASSWORD + "\n",
        )  # fmt: skip
        say(f"customer {number} ready")
        return Customer(number, email, PASSWORD, account_id)

    with ThreadPoolExecutor(4, thread_name_prefix="customers") as pool:
        return list(pool.map(one, range(count)))
