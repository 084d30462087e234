"""Notifications: emails rendered per second, a newsletter campaign queued, emails sent over SMTP.

    uv run python -m bench --only notifications [--recipients 10000] [--emails 2000]
                                                [--email-renders 50] [--durable]

1. render, in-process on one core: ``EmailTemplates.render`` (Jinja2 text and HTML parts and
   the css-inline step) of ``invoice_issued``, ``password_reset`` and ``newsletter`` in all four
   languages, from ``notifications.samples.sample_values`` formatted beforehand,
   ``--email-renders`` times each after a warm-up; then the css-inline step alone, and babel's
   ``format_money`` + ``format_date`` (what the use cases call per amount and date).
2. campaign queuing, on a throwaway PostgreSQL (fsync off unless ``--durable``) with
   notifications' schema (its Alembic migration): ``--recipients`` accounts opted in to
   energy-saving advice (the four languages in turn, each customer's name sealed as contracts
   sends it) written straight into ``recipients`` and ``customer_contacts``, then
   ``notifications.use_cases.campaigns.send_campaign``, what ``POST /v1/admin/campaigns`` runs
   in its one transaction: a rendered, sealed delivery per recipient.
3. sending: ``--emails`` pending deliveries (the three kinds rendered above, bodies sealed per
   row) sent by the real ``DeliverySender`` loop to an SMTP sink on a free loopback port
   (aiosmtpd's ``Sink`` handler in a process of its own, so the sender has this one to
   itself): per batch of ``NOTIFICATIONS_SEND_BATCH_SIZE`` one SMTP connection, and per email a
   claim, the bodies opened, the MIME message built and sent, and the outcome recorded.

Logs are at WARNING. Figures are per machine; compare runs on the same one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import asyncpg

from notifications.__main__ import MIGRATIONS
from notifications.delivery.sender import DeliverySender
from notifications.delivery.templates import EmailTemplates, RenderedEmail
from notifications.domain.delivery import EmailKind, delivery_id
from notifications.domain.locale import LANGUAGES, format_date, format_money
from notifications.samples import SAMPLE_NAME, Values, sample_values
from notifications.settings import NotificationsSettings
from notifications.use_cases.campaigns import CampaignText, send_campaign
from notifications.use_cases.queue_email import MailRoom
from portal_chassis.logging import configure_logging
from portal_chassis.mail_secrets import MailSecretsDecrypter, generate_key_pair
from portal_chassis.migrations import upgrade
from portal_chassis.runtime import ServiceRuntime
from portal_chassis.sealing import Sealer
from portal_schemas.notifications import MarketingTopic
from portal_schemas.types import Language
from portal_stack.ports import LOOPBACK, free_port, port_open

from .common import add_shared_option, asyncpg_url, postgres

KINDS = (EmailKind.INVOICE_ISSUED, EmailKind.PASSWORD_RESET, EmailKind.NEWSLETTER)
NEWSLETTER: MarketingTopic = "energy_saving_advice"
GATEWAY_TIMEOUT_SECONDS = 60  # nginx's proxy_read_timeout in front of every service
PUBLIC_URL = "https://mijn.energie.example"


# --- 1. render --------------------------------------------------------------------------------


def _per_call(call: Callable[[], object], times: int) -> float:
    """Seconds per call over ``times`` calls after one warm-up call."""
    call()
    started = time.perf_counter()
    for _ in range(times):
        call()
    return (time.perf_counter() - started) / times


def _report(label: str, seconds: float, extra: str = "") -> None:
    print(f"{label:<34} {1 / seconds:9,.0f} /s  {seconds * 1000:7.3f} ms{extra}", flush=True)


class _KeepsRawHtml(EmailTemplates):
    """The templates, keeping each HTML part as written, before the css-inline step."""

    def __init__(self) -> None:
        super().__init__()
        self.raw_html: list[str] = []

    def _inline_css(self, html: str) -> str:
        self.raw_html.append(html)
        return super()._inline_css(html)


def _mean_per_call(call: Callable[[Language], object], times: int) -> float:
    """Seconds per call, averaged over the four languages."""
    return sum(_per_call(partial(call, language), times) for language in LANGUAGES) / len(LANGUAGES)


def measure_render(templates: EmailTemplates, renders: int) -> None:
    print(f"render: one core (of {os.cpu_count()}), in-process; {renders} renders per kind and language")
    per_kind: list[float] = []
    for kind in KINDS:
        values = {language: sample_values(kind, language) for language in LANGUAGES}

        def render(
            language: Language, kind: EmailKind = kind, values: dict[Language, Values] = values
        ) -> RenderedEmail:
            return templates.render(kind, language, values[language], recipient_name=SAMPLE_NAME)

        size = sum(len(e.text.encode()) + len(e.html.encode()) for e in map(render, LANGUAGES))
        per_kind.append(_mean_per_call(render, renders))
        _report(f"{kind.value} (nl, en, fr, de)", per_kind[-1], f"  {size / len(LANGUAGES) / 1024:5.1f} KB")
    _report("all three kinds", sum(per_kind) / len(per_kind))
    keeping = _KeepsRawHtml()
    for kind in KINDS:
        for language in LANGUAGES:
            keeping.render(kind, language, sample_values(kind, language), recipient_name=SAMPLE_NAME)
    inline = sum(_per_call(partial(templates._inline_css, html), renders) for html in keeping.raw_html)
    _report("  of which css-inline (HTML part)", inline / len(keeping.raw_html))
    amount, day = Decimal("1234.565"), date(2026, 3, 2)
    money = _mean_per_call(partial(format_money, amount), renders * 10)
    dates = _mean_per_call(partial(format_date, day), renders * 10)
    print(
        f"{'babel format_money + format_date':<34} {1 / (money + dates):9,.0f} /s  "
        f"{(money + dates) * 1e6:7.1f} µs  (money {money * 1e6:.1f} µs, date {dates * 1e6:.1f} µs)",
        flush=True,
    )


# --- 2. campaign queuing ----------------------------------------------------------------------


def _language(i: int) -> Language:
    return LANGUAGES[i % len(LANGUAGES)]


async def seed_recipients(database_url: str, sealer: Sealer, recipients: int) -> None:
    """Accounts opted in to the newsletter and their customers' names, as identity's and
    contracts' events leave them (COPY: the campaign is measured, not this)."""
    now = datetime.now(UTC) - timedelta(days=30)
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.copy_records_to_table(
            "recipients",
            records=[
                (f"acc-{i:08d}", f"{400000000 + i}", f"klant{i}@example.test", now, _language(i), now,
                 None, None, True, now, "Europe/Brussels" if i % 10 == 0 else None)
                for i in range(recipients)
            ],
            columns=[
                "account_id", "customer_number", "email", "updated_at", "language", "language_updated_at",
                "offers", "news", "energy_saving_advice", "preferences_updated_at", "time_zone",
            ],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "customer_contacts",
            records=[(f"{400000000 + i}", sealer.seal(SAMPLE_NAME), now) for i in range(recipients)],
            columns=["customer_number", "sealed_name", "name_updated_at"],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def campaign_content() -> dict[Language, CampaignText]:
    """The sample newsletter's text in all four languages, as an operator would post it."""
    content: dict[Language, CampaignText] = {}
    for language in LANGUAGES:
        values = sample_values(EmailKind.NEWSLETTER, language)
        content[language] = CampaignText(values["subject_line"], "\n\n".join(values["paragraphs"]))
    return content


async def measure_campaign(runtime: ServiceRuntime, room: MailRoom, recipients: int) -> None:
    started = time.perf_counter()
    await seed_recipients(room.settings.database_url, room.sealer, recipients)
    seeded = time.perf_counter() - started
    content = campaign_content()
    async with runtime.new_uow() as uow:
        started = time.perf_counter()
        queued = await send_campaign(uow, room, newsletter=NEWSLETTER, content=content, operator="bench")
        seconds = time.perf_counter() - started
    if queued.queued != recipients:
        raise AssertionError(f"expected {recipients} copies queued, got {queued.queued}")
    rate = recipients / seconds
    print(
        f"campaign: {recipients:,} recipients opted in (four languages, names sealed), seeded in"
        f" {seeded:.1f} s; send_campaign as POST /v1/admin/campaigns runs it, one transaction",
        flush=True,
    )
    print(
        f"{'campaign queuing':<34} {rate:9,.0f} recipients/s  ({seconds:.2f} s for {recipients:,};"
        f" {seconds / recipients * 1000:.2f} ms each)"
    )
    print(
        f"{'within the gateway timeout':<34} about {rate * GATEWAY_TIMEOUT_SECONDS:,.0f} recipients"
        f" in {GATEWAY_TIMEOUT_SECONDS} s at this rate",
        flush=True,
    )


# --- 3. sending -------------------------------------------------------------------------------


@contextmanager
def smtp_sink(log_file: Path) -> Iterator[int]:
    """aiosmtpd's Sink (accepts every message, keeps nothing) in a process of its own on a free
    loopback port; yields the port."""
    port = free_port()
    with log_file.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "aiosmtpd",
                "-n",
                "-c",
                "aiosmtpd.handlers.Sink",
                "-l",
                f"{LOOPBACK}:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 30
            while not port_open(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the SMTP sink did not start; see {log_file}")
                time.sleep(0.05)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def seed_deliveries(
    database_url: str,
    sealer: Sealer,
    rendered: list[tuple[tuple[EmailKind, Language], RenderedEmail]],
    emails: int,
) -> None:
    """Pending deliveries of the three kinds in the four languages, each body sealed on its own
    as queue_email stores it, due now."""
    created = datetime.now(UTC) - timedelta(minutes=1)
    records = []
    for i in range(emails):
        (kind, language), email = rendered[i % len(rendered)]
        event_id = str(uuid.uuid4())
        newsletter = kind is EmailKind.NEWSLETTER
        unsubscribe = f"{PUBLIC_URL}/api/notifications/v1/unsubscribe/bench" if newsletter else None
        records.append(
            (delivery_id(event_id, kind.value), event_id, kind.value, f"{400000000 + i}",
             f"klant{i}@example.test", language, email.subject, sealer.seal(email.text),
             sealer.seal(email.html), "pending", 0, created, created, unsubscribe)
        )  # fmt: skip
    connection = await asyncpg.connect(asyncpg_url(database_url))
    try:
        await connection.execute("DELETE FROM deliveries")  # the campaign's copies: not these
        await connection.copy_records_to_table(
            "deliveries",
            records=records,
            columns=[
                "id", "event_id", "kind", "customer_number", "recipient", "language", "subject",
                "sealed_text", "sealed_html", "status", "attempts", "created_at", "next_attempt_at",
                "list_unsubscribe",
            ],
        )  # fmt: skip
        await connection.execute("ANALYZE deliveries")
    finally:
        await connection.close()


async def measure_sending(
    runtime: ServiceRuntime,
    settings: NotificationsSettings,
    sealer: Sealer,
    templates: EmailTemplates,
    emails: int,
) -> None:
    rendered = [
        ((kind, language), templates.render(kind, language, sample_values(kind, language), SAMPLE_NAME))
        for kind in KINDS
        for language in LANGUAGES
    ]
    await seed_deliveries(settings.database_url, sealer, rendered, emails)
    connection = await asyncpg.connect(asyncpg_url(settings.database_url))
    sender = DeliverySender(settings, sealer)
    try:
        started = time.perf_counter()
        sender.start(runtime.new_uow)
        deadline = started + max(120.0, emails / 10)
        while True:
            counts = dict(await connection.fetch("SELECT status, count(*) FROM deliveries GROUP BY status"))
            if counts.get("sent", 0) == emails:
                break
            if counts.get("failed") or time.perf_counter() > deadline:
                raise AssertionError(f"not all sent: {counts}")
            await asyncio.sleep(0.02)
        seconds = time.perf_counter() - started
    finally:
        await sender.stop()
        await connection.close()
    batch = settings.send_batch_size
    connections = -(-emails // batch)
    print(
        f"sending: {emails:,} pending deliveries (the three kinds, four languages) to an aiosmtpd"
        f" sink in its own process; {batch} per batch and SMTP connection ({connections} batches)",
        flush=True,
    )
    print(
        f"{'sending (DeliverySender loop)':<34} {emails / seconds:9,.0f} emails/s  ({seconds:.2f} s;"
        f" {seconds / emails * 1000:.2f} ms each: claim, open, build, SMTP, mark sent)",
        flush=True,
    )


# --- running ----------------------------------------------------------------------------------


async def measure_database(
    settings: NotificationsSettings, sealer: Sealer, templates: EmailTemplates, recipients: int, emails: int
) -> None:
    runtime = ServiceRuntime.create(settings)
    room = MailRoom(
        settings,
        sealer,
        templates,
        wake_sender=lambda: None,  # no sender runs while the campaign is queued
        mail_secrets=MailSecretsDecrypter(settings.mail_secrets_private_key.get_secret_value()),
    )
    try:
        if recipients > 0:
            await measure_campaign(runtime, room, recipients)
        if emails > 0:
            await measure_sending(runtime, settings, sealer, templates, emails)
    finally:
        await runtime.engine.dispose()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "notifications", "email renders, a newsletter campaign and SMTP sending (bench/notifications.py)"
    )
    group.add_argument(
        "--email-renders",
        type=int,
        default=50,
        help="renders timed per kind and language (default 50)",
    )
    group.add_argument(
        "--recipients",
        type=int,
        default=10_000,
        help="opted-in accounts the campaign is queued for (default 10000; 0: skip)",
    )
    group.add_argument(
        "--emails", type=int, default=2_000, help="pending deliveries sent over SMTP (default 2000; 0: skip)"
    )
    add_shared_option(group, "--durable", action="store_true", help="PostgreSQL with fsync on (default off)")


def run_with(args: argparse.Namespace) -> None:
    if args.email_renders < 1 or args.recipients < 0 or args.emails < 0:
        raise SystemExit("--email-renders must be at least 1, --recipients and --emails not negative")
    configure_logging("bench", "WARNING")
    templates = EmailTemplates()
    measure_render(templates, args.email_renders)
    if args.recipients == 0 and args.emails == 0:
        return
    sealing_key = Sealer.new_key()
    with (
        tempfile.TemporaryDirectory(prefix="portal-bench-") as tmp,
        postgres(Path(tmp), services=("notifications",), durable=args.durable) as database_urls,
        smtp_sink(Path(tmp) / "smtp-sink.log") as smtp_port,
    ):
        settings = NotificationsSettings(
            database_url=database_urls["notifications"],
            event_sealing_key=sealing_key,
            mail_secrets_private_key=generate_key_pair()[0],
            public_url=PUBLIC_URL,
            log_level="WARNING",
            smtp_host=LOOPBACK,
            smtp_port=smtp_port,
            smtp_starttls=False,
        )
        upgrade(MIGRATIONS, settings.database_url)
        asyncio.run(measure_database(settings, Sealer(sealing_key), templates, args.recipients, args.emails))
