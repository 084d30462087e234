"""Log-in latency of identity on real PostgreSQL: ``POST /v1/sessions`` end to end.

    uv run python -m bench --only login [--accounts 16] [--sequential 80] [--clients 4]
                                        [--per-client 20] [--wrong 4] [--durable]

Each request runs the whole log-in: account lookup, argon2id verification, clearing the
failure counter, a new session family and refresh token (DB writes, one commit) and signing
the ES256 access token. The real app (``identity.app.create_app``) is served in-process through
``httpx.ASGITransport``, so the figures contain no sockets or TLS, only the service itself.

Kafka: none. Log-in publishes nothing on success, so the app runs with FastStream's
``TestKafkaBroker`` (in-memory) instead of a JVM broker; the outbox relay still runs against it.
PostgreSQL: a throwaway cluster on a free port (``portal_stack.PostgresCluster``), fsync off
unless ``--durable``; the schema comes from ``metadata.create_all`` (identity's tables plus the
chassis outbox/inbox), as in the unit-test harness.

Phases: ``--accounts`` accounts created with ``create_account`` (each one argon2 hash);
``--wrong`` wrong-password attempts (401), at most one per account and each followed by a
successful log-in of that account, which clears the counter, so the lockout (3 failures in a row)
is never reached; ``--sequential`` log-ins one after another; then ``--clients`` concurrent
clients doing ``--per-client`` log-ins each. Figures are per machine; compare like with like.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from faststream.kafka import TestKafkaBroker
from sqlalchemy import func, select

from identity.app import create_app
from identity.db.tables import Account, Base
from identity.domain import secrets as identity_secrets
from identity.settings import IdentitySettings
from identity.use_cases.accounts import create_account
from portal_chassis.logging import configure_logging
from portal_chassis.mail_secrets import generate_key_pair
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.sealing import Sealer
from portal_chassis.testing import create_schema

from .common import percentiles, postgres

# Long, non-trivial passwords (the account rules ask for at least 12 characters).
PASSWORD = "Kilowatt-uur 7 Zonnepaneel!"  # noqa: S105 - a benchmark account's password
WRONG_PASSWORD = "Kilowatt-uur 7 Zonnepaneel?"  # noqa: S105


def email(i: int) -> str:
    return f"bench-{i:04d}@example.nl"


@dataclass
class Phase:
    name: str
    latencies: list[float]  # seconds, one per request
    wall: float  # seconds for the whole phase

    def line(self) -> str:
        ms = sorted(x * 1000 for x in self.latencies)
        p50, p95, p99 = percentiles(ms)
        return (
            f"{self.name:<22} n={len(ms):<4} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
            f"  p99 {p99:7.1f} ms  max {ms[-1]:7.1f} ms  {len(ms) / self.wall:6.1f} req/s"
        )


def argon2_parameters() -> str:
    hasher = identity_secrets._hasher  # the PasswordHasher identity hashes and verifies with
    return (
        f"argon2 (argon2.PasswordHasher in identity.domain.secrets): type={hasher.type.name}"
        f" time_cost={hasher.time_cost} memory_cost={hasher.memory_cost} KiB"
        f" parallelism={hasher.parallelism} hash_len={hasher.hash_len} salt_len={hasher.salt_len}"
    )


def argon2_verify_ms(rounds: int = 10) -> float:
    """Median time of one verification alone (the CPU floor of every log-in)."""
    stored = identity_secrets.hash_password(PASSWORD)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        assert identity_secrets.verify_password(stored, PASSWORD)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def log_in(client: httpx.AsyncClient, i: int, password: str, expect: int) -> float:
    started = time.perf_counter()
    response = await client.post("/v1/sessions", json={"email": email(i), "password": password})
    elapsed = time.perf_counter() - started
    if response.status_code != expect:
        raise RuntimeError(f"log-in of {email(i)}: {response.status_code} {response.text}")
    if expect == 201:
        assert response.json()["refresh_token"]
    return elapsed


async def run(database_url: str, args: argparse.Namespace) -> None:
    settings = IdentitySettings(
        database_url=database_url,
        event_sealing_key=Sealer.new_key(),
        mail_secrets_public_key=generate_key_pair()[1],
        log_level="WARNING",
    )
    app = create_app(settings)
    runtime: ServiceRuntime = app.state.runtime
    await create_schema(runtime, Base.metadata)

    started = time.perf_counter()
    for i in range(args.accounts):
        async with runtime.new_uow() as uow:
            await create_account(
                uow, email=email(i), password=PASSWORD, customer_number=f"{100000000 + i}", language="nl"
            )
    create_seconds = time.perf_counter() - started

    phases: list[Phase] = []
    async with TestKafkaBroker(runtime.broker), app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://identity") as client:
            await log_in(client, 0, PASSWORD, 201)  # warm-up: signing key, pools, first imports

            wrong = min(args.wrong, args.accounts)
            if wrong:
                latencies: list[float] = []
                for i in range(wrong):
                    latencies.append(await log_in(client, i, WRONG_PASSWORD, 401))
                    await log_in(client, i, PASSWORD, 201)  # clears the counter: never near a lock
                # req/s over the 401s alone: the successful log-ins in between are not counted.
                phases.append(Phase("wrong password (401)", latencies, sum(latencies)))

            started = time.perf_counter()
            latencies = [
                await log_in(client, n % args.accounts, PASSWORD, 201) for n in range(args.sequential)
            ]
            phases.append(Phase("sequential", latencies, time.perf_counter() - started))

            async def one_client(c: int) -> list[float]:
                return [
                    await log_in(client, (c * args.per_client + n) % args.accounts, PASSWORD, 201)
                    for n in range(args.per_client)
                ]

            started = time.perf_counter()
            results = await asyncio.gather(*(one_client(c) for c in range(args.clients)))
            wall = time.perf_counter() - started
            phases.append(Phase(f"{args.clients} concurrent clients", [x for r in results for x in r], wall))

        async with runtime.sessions() as session:
            locked = await session.scalar(
                select(func.count()).select_from(Account).where(Account.locked_until.is_not(None))
            )
    assert locked == 0, "the benchmark must never lock an account"

    print(f"log-in (POST /v1/sessions), identity in-process via ASGITransport, PostgreSQL on loopback"
          f" ({'durable' if args.durable else 'fsync off'}), TestKafkaBroker")  # fmt: skip
    print(argon2_parameters())
    print(f"argon2 verify alone  {argon2_verify_ms():.1f} ms (median of 10, same process)")
    print(
        f"accounts created     {args.accounts} in {create_seconds:.2f} s"
        f" ({create_seconds / max(args.accounts, 1) * 1000:.1f} ms each, one argon2 hash + insert)"
    )
    for phase in phases:
        print(phase.line())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("login", "log-in latency (bench/login_latency.py)")
    group.add_argument("--accounts", type=int, default=16, help="accounts to create (default 16)")
    group.add_argument("--sequential", type=int, default=80, help="sequential log-ins (default 80)")
    group.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    group.add_argument("--per-client", type=int, default=20, help="log-ins per client (default 20)")
    group.add_argument(
        "--wrong", type=int, default=4, help="wrong-password attempts, one per account at most (default 4)"
    )
    group.add_argument("--durable", action="store_true", help="PostgreSQL with fsync on (default off)")


def run_with(args: argparse.Namespace) -> None:
    if args.accounts < 1 or args.clients < 1 or args.sequential < 1 or args.per_client < 1:
        raise SystemExit("--accounts, --sequential, --clients and --per-client must be at least 1")
    configure_logging("bench", "WARNING")
    with (
        tempfile.TemporaryDirectory(prefix="portal-bench-login-") as tmp,
        postgres(Path(tmp), services=("identity",), durable=args.durable) as database_urls,
    ):
        asyncio.run(run(database_urls["identity"], args))


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.login_latency",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    run_with(parser.parse_args(argv))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
