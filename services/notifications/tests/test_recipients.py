"""The recipients read model fed by identity's AccountActivated, EmailChanged and
PreferencesChanged; an older event never overwrites a newer value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from notifications.db.repositories import Recipients
from notifications.db.tables import Recipient
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.billing import InvoiceIssued
from portal_schemas.identity import AccountActivated, EmailChanged, PreferencesChanged


def account_created(account_id: str, email: str, at: dt.datetime, language: str = "nl") -> Envelope:
    data = AccountActivated(
        account_id=account_id,
        customer_number="100200300",
        email=email,
        language=language,  # type: ignore[arg-type]
    )
    return Envelope.wrap(data, subject=account_id, producer="identity", occurred_at=at)


async def publish(service: Harness, envelope: Envelope) -> None:
    await service.redeliver(envelope, AccountActivated.topic())


async def test_recipients_by_account_and_by_customer(service: Harness) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    older = account_created("acc-1", "first@example.nl", t0)
    newer = account_created("acc-2", "second@example.nl", t0 + dt.timedelta(days=1), "de")
    for envelope in (older, newer, older):  # the repeat changes nothing
        await publish(service, envelope)

    async with service.runtime.sessions() as session:
        recipients = Recipients(session)
        first = await recipients.for_account("acc-1")
        current = await recipients.for_customer("100200300")
        unknown = await recipients.for_customer("000")
    assert first is not None and first.email == "first@example.nl"
    # The most recently registered account of the customer receives the customer's mail.
    assert current is not None and (current.account_id, current.language) == ("acc-2", "de")
    assert unknown is None


async def test_an_older_event_never_overwrites_a_newer_address(service: Harness) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    await publish(service, account_created("acc-1", "new@example.nl", t0 + dt.timedelta(hours=1)))
    await publish(service, account_created("acc-1", "old@example.nl", t0))

    async with service.runtime.sessions() as session:
        recipient = await Recipients(session).for_account("acc-1")
    assert recipient is not None and recipient.email == "new@example.nl"


def email_changed(account_id: str, new_email: str, at: dt.datetime) -> Envelope:
    data = EmailChanged(account_id=account_id, old_email="first@example.nl", new_email=new_email)
    return Envelope.wrap(data, subject=account_id, producer="identity", occurred_at=at)


def preferences_changed(account_id: str, language: str, at: dt.datetime, *, offers: bool = False) -> Envelope:
    data = PreferencesChanged(
        account_id=account_id,
        language=language,  # type: ignore[arg-type]
        offers=offers,
        news=True,
        energy_saving_advice=False,
    )
    return Envelope.wrap(data, subject=account_id, producer="identity", occurred_at=at)


async def recipient(service: Harness, account_id: str = "acc-1") -> Recipient:
    async with service.runtime.sessions() as session:
        found = await Recipients(session).for_account(account_id)
    assert found is not None
    return found


async def test_a_confirmed_email_change_moves_the_address(service: Harness, probe, mail, sender) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    await publish(service, account_created("acc-1", "first@example.nl", t0))
    changed = email_changed("acc-1", "second@example.nl", t0 + dt.timedelta(days=2))
    for envelope in (changed, email_changed("acc-1", "stale@example.nl", t0 + dt.timedelta(days=1)), changed):
        await service.redeliver(envelope, EmailChanged.topic())
    # Identity's AccountActivated replayed after the change: the older address does not come back.
    await publish(service, account_created("acc-1", "first@example.nl", t0))

    current = await recipient(service)
    assert current.email == "second@example.nl" and current.customer_number == "100200300"
    await sender.send_due()
    assert await probe.deliveries() == [] and mail.messages == []  # the read model only


async def test_an_email_change_for_an_unknown_account_stores_nothing(service: Harness) -> None:
    at = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    await service.redeliver(email_changed("acc-9", "x@example.nl", at), EmailChanged.topic())

    async with service.runtime.sessions() as session:
        assert await Recipients(session).for_account("acc-9") is None


async def test_preferences_set_the_language_and_what_to_hear_about(
    service: Harness, probe, mail, sender
) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    await publish(service, account_created("acc-1", "first@example.nl", t0))
    newer = preferences_changed("acc-1", "fr", t0 + dt.timedelta(days=2), offers=True)
    older = preferences_changed("acc-1", "de", t0 + dt.timedelta(days=1))
    for envelope in (newer, older, newer):  # out of order and repeated
        await service.redeliver(envelope, PreferencesChanged.topic())
    await publish(service, account_created("acc-1", "first@example.nl", t0))  # replayed activation

    current = await recipient(service)
    assert current.language == "fr"
    assert (current.offers, current.news, current.energy_saving_advice) == (True, True, False)
    await sender.send_due()
    assert await probe.deliveries() == [] and mail.messages == []  # no email of its own


async def test_later_service_mail_uses_the_new_language(service: Harness, probe, mail) -> None:
    t0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    await publish(service, account_created("acc-1", "first@example.nl", t0))
    await service.redeliver(
        preferences_changed("acc-1", "de", t0 + dt.timedelta(days=1)), PreferencesChanged.topic()
    )
    await probe.eventually(lambda: _language_is(service, "de"))

    issued = InvoiceIssued(
        invoice_id="inv-1",
        invoice_number="2026-000123",
        customer_number="100200300",
        kind="periodic",
        issued_at=t0 + dt.timedelta(days=3),
        due_date=dt.date(2026, 2, 1),
        total_incl_vat=Decimal("80.00"),
    )
    await service.deliver(issued, subject="inv-1", producer="billing")
    [message] = await probe.received(mail, 1)
    assert message["Content-Language"] == "de"
    assert message["Subject"] == "Neu in Ihrem Postfach: Rechnung 2026-000123"
    assert message["To"] == "first@example.nl"


async def _language_is(service: Harness, language: str) -> bool:
    return (await recipient(service)).language == language
