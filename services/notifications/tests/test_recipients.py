"""The recipients read model fed by identity's AccountActivated."""

from __future__ import annotations

import datetime as dt

from notifications.db.repositories import Recipients
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.identity import AccountActivated


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
