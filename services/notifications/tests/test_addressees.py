"""Every email greets by the customer's name when contracts sent one, writes moments in the
account's time zone, and is filed under the account (and the customer, where known); the
customer contacts read model keeps the newest name, sealed."""

from __future__ import annotations

import datetime as dt

from notifications.db.repositories import CustomerContacts
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.contracts import ContractCreated, CustomerDetailsChanged
from portal_schemas.identity import ContractLinked, PasswordChanged, PreferencesChanged

from .conftest import text_and_html

T0 = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


def named(customer_number: str, sealed_name: str | None, at: dt.datetime) -> Envelope:
    details = CustomerDetailsChanged(
        customer_number=customer_number, payment_method="direct_debit", sealed_name=sealed_name
    )
    return Envelope.wrap(details, subject=customer_number, producer="contracts", occurred_at=at)


async def prefer_zone(service: Harness, account_id: str, zone: str | None, at: dt.datetime = T0) -> None:
    data = PreferencesChanged(
        account_id=account_id,
        language="en",
        offers=False,
        news=False,
        energy_saving_advice=False,
        time_zone=zone,
    )
    envelope = Envelope.wrap(data, subject=account_id, producer="identity", occurred_at=at)
    await service.redeliver(envelope, PreferencesChanged.topic())


def password_changed(account_id: str = "account-1") -> PasswordChanged:
    return PasswordChanged(
        account_id=account_id,
        email="jo@example.com",
        language="en",
        changed_at=dt.datetime(2099, 6, 15, 12, 0, tzinfo=dt.UTC),  # 14:00 in Amsterdam
        reason="settings",
    )


async def test_the_newest_name_wins_and_stays_sealed(service: Harness, sealer: Sealer) -> None:
    newer = named("100200300", sealer.seal("Sanne de Vries"), T0 + dt.timedelta(days=2))
    older = named("100200300", sealer.seal("Sanne Jansen"), T0 + dt.timedelta(days=1))
    for envelope in (newer, older, named("100200300", None, T0 + dt.timedelta(days=3)), newer):
        await service.redeliver(envelope, CustomerDetailsChanged.topic())

    async with service.runtime.sessions() as session:
        contact = await CustomerContacts(session).get("100200300")
    assert contact is not None and contact.sealed_name is not None
    assert "Sanne" not in contact.sealed_name  # kept as it travelled
    assert sealer.open(contact.sealed_name) == "Sanne de Vries"


async def test_an_identity_email_greets_by_name_in_the_accounts_zone(
    service: Harness, probe, mail, sealer: Sealer
) -> None:
    await service.redeliver(named("100200300", sealer.seal("Jo Peeters"), T0), CustomerDetailsChanged.topic())
    await probe.register(customer_number="100200300", email="jo@example.com", account_id="account-1")
    await prefer_zone(service, "account-1", "America/New_York")
    await service.deliver(password_changed(), subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    text, html = text_and_html(message)
    assert text.lstrip().startswith("Dear Jo Peeters,")
    assert "Jo Peeters" in html
    assert "08:00" in text and "14:00" not in text  # New York's clock, not Amsterdam's
    delivery = await probe.delivery()
    assert (delivery.account_id, delivery.customer_number) == ("account-1", "100200300")


async def test_no_zone_chosen_or_reset_is_the_suppliers(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="jo@example.com", account_id="account-1")
    await prefer_zone(service, "account-1", "America/New_York")
    await prefer_zone(service, "account-1", None, T0 + dt.timedelta(hours=1))  # back to the supplier's
    await service.deliver(password_changed(), subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    text, _ = text_and_html(message)
    assert text.lstrip().startswith("Hello,")  # contracts sent no name
    assert "14:00" in text


async def test_a_customer_email_uses_the_recipients_zone_for_its_days(service: Harness, probe, mail) -> None:
    await probe.register(
        customer_number="100200300", email="jo@example.com", language="en", account_id="account-1"
    )
    await prefer_zone(service, "account-1", "America/New_York")
    created = ContractCreated(
        contract_id="contract-1",
        customer_number="100200300",
        commodity="electricity",
        product_code="VAST-3J",
        start_date=dt.date(2026, 5, 1),
    )
    # 23:30 UTC on 17 March: the 18th in Amsterdam, still the 17th in New York.
    envelope = Envelope.wrap(
        created,
        subject="contract-1",
        producer="contracts",
        occurred_at=dt.datetime(2026, 3, 17, 23, 30, tzinfo=dt.UTC),
    )
    await service.redeliver(envelope, ContractCreated.topic())

    [message] = await probe.received(mail, 1)
    text, _ = text_and_html(message)
    assert "31 March 2026" in text  # 14 days from the 17th
    assert (await probe.delivery()).account_id == "account-1"


async def test_a_co_holder_is_greeted_by_their_own_name(
    service: Harness, probe, mail, sealer: Sealer
) -> None:
    await service.redeliver(
        named("100200300", sealer.seal("Holder Name"), T0), CustomerDetailsChanged.topic()
    )
    await service.redeliver(named("555000111", sealer.seal("Co Holder"), T0), CustomerDetailsChanged.topic())
    await probe.register(customer_number="555000111", email="co@example.nl", account_id="account-co")
    linked = ContractLinked(
        account_id="account-co",
        contract_number="012345678",
        contract_id="contract-9",
        customer_number="100200300",  # the contract's customer, the holder
        role="co_holder",
        email="co@example.nl",
        language="en",
    )
    await service.deliver(linked, subject="account-co", producer="identity")

    [message] = await probe.received(mail, 1)
    text, _ = text_and_html(message)
    assert text.lstrip().startswith("Dear Co Holder,") and "Holder Name" not in text
    delivery = await probe.delivery()
    assert (delivery.customer_number, delivery.account_id) == ("100200300", "account-co")


async def test_a_name_sealed_with_another_key_gives_a_neutral_greeting(service: Harness, probe, mail) -> None:
    foreign = Sealer(Sealer.new_key()).seal("Jo Peeters")
    await service.redeliver(named("100200300", foreign, T0), CustomerDetailsChanged.topic())
    await probe.register(customer_number="100200300", email="jo@example.com", account_id="account-1")
    await service.deliver(password_changed(), subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    text, _ = text_and_html(message)
    assert text.lstrip().startswith("Hello,")
