"""PostgreSQL stopped for a while: every service answers at once with a 503 problem (no hang,
no stack trace), /ready names the database, and all come back by themselves once it returns.

The stack runs one PostgreSQL cluster holding every service's database (as a managed
PostgreSQL would), so stopping it takes the database away from all five services at once;
each is probed. While it is down the drill asks, over and over:

- each service's ``GET /ready`` directly (it is not routed through the gateway), every
  instance of it;
- through the gateway, a log-in (identity reads the account) and the customer's invoices
  and meters (billing and metering read their databases; the token was issued before).

Afterwards the same requests must succeed again with the same service processes.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import httpx

from portal_stack import PostgresCluster, ServiceProcess, Stack

from .common import Verdict, say

SLOW = 5.0  # seconds: an answer slower than this counts as a hang


@dataclass
class Probe:
    name: str
    status: int
    seconds: float
    body: str
    content_type: str


@dataclass
class OutageReport:
    down_seconds: float
    probes: list[Probe] = field(default_factory=list)  # answered while the database was down
    recovered_after: float | None = None  # seconds from restart until every probe passed again
    pids_unchanged: bool = False

    def during(self, name: str) -> list[Probe]:
        return [p for p in self.probes if p.name == name]


def _ask(client: httpx.Client, name: str, method: str, url: str, **kwargs: object) -> Probe:
    started = time.monotonic()
    try:
        response = client.request(method, url, timeout=SLOW * 2, **kwargs)  # type: ignore[arg-type]
        return Probe(
            name,
            response.status_code,
            time.monotonic() - started,
            response.text,
            response.headers.get("content-type", ""),
        )
    except httpx.HTTPError as exc:
        return Probe(name, 0, time.monotonic() - started, repr(exc), "")


def _instances(stack: Stack) -> list[ServiceProcess]:
    """Every service process (several per service when the stack runs replicas)."""
    return [instance for group in stack.instances.values() for instance in group]


def _round(stack: Stack, client: httpx.Client, login: dict[str, str], token: str) -> list[Probe]:
    """One request of each kind."""
    auth = {"Authorization": f"Bearer {token}"}
    probes = [
        _ask(client, f"{instance.service} /ready", "GET", f"{instance.url}/ready")
        for instance in _instances(stack)
    ]
    probes.append(_ask(client, "log-in", "POST", f"{stack.gateway_url}/identity/v1/sessions", json=login))
    probes.append(_ask(client, "invoices", "GET", f"{stack.gateway_url}/billing/v1/invoices", headers=auth))
    probes.append(_ask(client, "meters", "GET", f"{stack.gateway_url}/metering/v1/meters", headers=auth))
    return probes


def database_outage(stack: Stack, email: str, password: str, seconds: float) -> OutageReport:
    """Stops the stack's PostgreSQL for ``seconds`` while probing, starts it again and waits
    (bounded) until every probe passes again."""
    postgres = stack.postgres
    assert isinstance(postgres, PostgresCluster) and postgres.process is not None, "a local PostgreSQL"
    login = {"email": email, "password": password}
    pids = [instance.pid for instance in _instances(stack)]
    with httpx.Client() as client:
        session = client.post(f"{stack.gateway_url}/identity/v1/sessions", json=login, timeout=30)
        session.raise_for_status()
        token = session.json()["access_token"]
        # Also fills the services' key caches (each instance behind the gateway's round robin).
        before = [probe for _ in range(4) for probe in _round(stack, client, login, token)]
        not_ok = [f"{p.name} {p.status}" for p in before if p.status not in (200, 201)]
        assert not not_ok, f"not healthy before the outage: {not_ok}"

        postgres.process.stop()
        stopped = time.monotonic()
        say(f"database: PostgreSQL stopped; probing for {seconds:.0f}s")
        report = OutageReport(down_seconds=seconds)
        while time.monotonic() - stopped < seconds:
            report.probes += _round(stack, client, login, token)
            time.sleep(0.5)
        postgres.process.start_and_wait()
        restarted = time.monotonic()
        report.down_seconds = restarted - stopped
        say(f"database: PostgreSQL back after {report.down_seconds:.1f}s; waiting for the services")
        while time.monotonic() - restarted < 120:
            probes = _round(stack, client, login, token)
            if all(p.status in (200, 201) for p in probes):
                report.recovered_after = time.monotonic() - restarted
                break
            time.sleep(0.5)
    report.pids_unchanged = pids == [instance.pid for instance in _instances(stack)]
    return report


def judge(report: OutageReport, verdict: Verdict) -> None:
    """The checks of the drill on ``report`` (shared with the integration test)."""
    probes = report.probes
    verdict.figure(
        f"PostgreSQL down {report.down_seconds:.1f}s; {len(probes)} requests answered meanwhile,"
        f" statuses {dict(sorted(Counter(p.status for p in probes).items()))},"
        f" slowest {max((p.seconds for p in probes), default=0):.2f}s"
    )
    for probe in probes:
        problem = probe.content_type.startswith("application/problem+json")
        verdict.check(
            probe.status == 503 and problem,
            f"{probe.name}: {probe.status} {probe.content_type or 'no answer'} while the database was down",
        )
        verdict.check(probe.seconds < SLOW, f"{probe.name}: took {probe.seconds:.1f}s")
        verdict.check("Traceback" not in probe.body, f"{probe.name}: a stack trace in the answer")
        if probe.name.endswith("/ready"):
            unreachable = '"database":"unreachable' in probe.body.replace(" ", "")
            verdict.check(unreachable, f"{probe.name}: {probe.body}")
        elif probe.status == 503:
            # An instance that never fetched identity's keys cannot check a token while
            # identity's database is away too: also a 503 problem, naming that instead.
            reason = "database-unavailable" in probe.body or "auth-unavailable" in probe.body
            verdict.check(reason, f"{probe.name}: {probe.body[:200]}")
    verdict.check(bool(probes), "no request was answered while the database was down")
    if report.recovered_after is None:
        verdict.check(False, "the services did not all recover within 120s")
    else:
        verdict.figure(f"every probe passed again {report.recovered_after:.1f}s after PostgreSQL was back")
    verdict.check(report.pids_unchanged, "a service process was restarted")
    if report.pids_unchanged:
        verdict.figure("recovered without a restart (same service processes)")


def run(stack: Stack, email: str, password: str, seconds: float) -> Verdict:
    verdict = Verdict(f"PostgreSQL stopped {seconds:.0f}s")
    judge(database_outage(stack, email, password, seconds), verdict)
    return verdict
