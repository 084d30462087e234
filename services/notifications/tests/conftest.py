from __future__ import annotations

import asyncio
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from sqlalchemy import select

from notifications.app import create_app
from notifications.db.tables import Base, Delivery, ParkedEvent
from notifications.delivery.sender import DeliverySender
from notifications.settings import NotificationsSettings
from portal_chassis.mail_secrets import MailSecretsEncrypter, generate_key_pair
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness, TokenFactory, service_under_test
from portal_schemas.identity import AccountActivated

logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and the HTML part of a received message."""
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    return plain.get_content(), html.get_content()


def plain_words(message: EmailMessage) -> str:
    """The plain-text part with its lines and runs of spaces joined by single spaces."""
    return " ".join(text_and_html(message)[0].split())


def text_words(message: EmailMessage) -> str:
    """Like ``plain_words``, but only line breaks and ordinary spaces are joined: the no-break
    spaces inside amounts stay. (Subjects have none: the renderer makes the subject one line.)"""
    return re.sub(r"[ \r\n]+", " ", text_and_html(message)[0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MailSink:
    """An in-process SMTP server (aiosmtpd, in its own thread) that keeps what it receives.

    Tests make it misbehave: ``rcpt_reply`` answers every recipient with that line instead,
    ``stall_data`` keeps a message that many seconds without answering and then drops it.
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.received: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_reply: str | None = None
        self.stall_data = 0.0
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if self.rcpt_reply is not None:
            return self.rcpt_reply
        if address.startswith("nobody@"):
            return "550 5.1.1 mailbox unavailable"  # a permanent refusal of this message
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.stall_data:
            await asyncio.sleep(self.stall_data)
            return "451 4.3.0 too late"  # the client has given up by now; nothing is kept
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._lock:
            self.received.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 accepted"

    def start(self) -> None:
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.received)


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def mail(smtp_port: int) -> Iterator[MailSink]:
    """The relay, up; tests of an outage start it themselves (`mail_down`)."""
    sink = MailSink(smtp_port)
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mail_down(smtp_port: int) -> Iterator[MailSink]:
    sink = MailSink(smtp_port)
    yield sink
    sink.stop()


@pytest.fixture
def sealing_key() -> str:
    return Sealer.new_key()


@pytest.fixture
def sealer(sealing_key: str) -> Sealer:
    """The suite-wide key the service under test holds (stored bodies, contracts' sealed names,
    and mail secrets in events written before they were encrypted for notifications)."""
    return Sealer(sealing_key)


@pytest.fixture(scope="session")
def mail_key_pair() -> tuple[str, str]:
    """The service's mail secrets key pair (private, public)."""
    return generate_key_pair()


@pytest.fixture
def mail_secrets(mail_key_pair: tuple[str, str]) -> MailSecretsEncrypter:
    """Encrypts tokens and codes as identity does: with the service's public key."""
    return MailSecretsEncrypter(mail_key_pair[1])


@pytest.fixture
def settings(
    tmp_path: Path, smtp_port: int, sealing_key: str, mail_key_pair: tuple[str, str]
) -> NotificationsSettings:
    return NotificationsSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/notifications.sqlite3",
        event_sealing_key=sealing_key,
        mail_secrets_private_key=mail_key_pair[0],
        public_url="https://portal.example.test/",
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        smtp_timeout_seconds=2,
        send_poll_seconds=0.05,
        retry_first_delay_seconds=0.05,
        retry_max_delay_seconds=0.2,
        relay_backoff_max_seconds=0.2,
    )


@pytest.fixture
def app(settings: NotificationsSettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def service(app: FastAPI) -> AsyncIterator[Harness]:
    async with service_under_test(app, Base.metadata) as harness:
        yield harness


@pytest.fixture
def tokens(app: FastAPI) -> TokenFactory:
    """Signs customers' and operators' tokens the app under test accepts."""
    factory = TokenFactory()
    factory.install(app)
    return factory


@pytest.fixture
def sender(app: FastAPI) -> DeliverySender:
    sender: DeliverySender = app.state.sender
    return sender


class Probe:
    """Looks into the service under test: its delivery log, and events as other services
    would publish them."""

    def __init__(self, service: Harness) -> None:
        self.service = service

    async def deliveries(self) -> list[Delivery]:
        async with self.service.runtime.sessions() as session:
            rows = await session.scalars(select(Delivery).order_by(Delivery.created_at))
            return list(rows)

    async def delivery(self) -> Delivery:
        [only] = await self.deliveries()
        return only

    async def parked(self) -> list[ParkedEvent]:
        """Events waiting for their customer's first account."""
        async with self.service.runtime.sessions() as session:
            rows = await session.scalars(select(ParkedEvent).order_by(ParkedEvent.parked_at))
            return list(rows)

    async def eventually(self, check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not await check():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            await asyncio.sleep(0.02)

    async def received(self, sink: MailSink, count: int) -> list[EmailMessage]:
        """Wait for ``count`` messages at the relay and as many deliveries marked sent (the
        relay has a message a moment before the sender records it)."""

        async def enough() -> bool:
            sent = [d for d in await self.deliveries() if d.status == "sent"]
            return len(sink.messages) >= count and len(sent) >= count

        await self.eventually(enough)
        return sink.messages

    async def register(
        self, *, customer_number: str, email: str, language: str = "nl", account_id: str = ""
    ) -> None:
        """Identity's AccountActivated, as notifications receives it."""
        account_id = account_id or f"account-{customer_number}"
        await self.service.deliver(
            AccountActivated(
                account_id=account_id,
                customer_number=customer_number,
                email=email,
                language=language,  # type: ignore[arg-type]
            ),
            subject=account_id,
            producer="identity",
        )


@pytest.fixture
def probe(service: Harness) -> Probe:
    return Probe(service)
