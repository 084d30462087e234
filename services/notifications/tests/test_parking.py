"""An email about a customer without a portal account is parked, not dropped: the account's
activation sends it (in the account's language, greeting by the customer's name); parked too
long it is recorded as skipped; parking and release happen once however often events come."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import update

from notifications.db.tables import ParkedEvent
from notifications.use_cases.operations import delivery_report
from portal_chassis.sealing import Sealer
from portal_chassis.testing import Harness
from portal_schemas import Envelope
from portal_schemas.contracts import ContractCreated, ContractTerminated, CustomerDetailsChanged
from portal_schemas.identity import AccountActivated

CUSTOMER = "100200300"


def created(contract_id: str = "contract-1") -> ContractCreated:
    return ContractCreated(
        contract_id=contract_id,
        customer_number=CUSTOMER,
        commodity="electricity",
        product_code="VAST-3J",
        start_date=dt.date(2026, 5, 1),
        contract_number="123456789",
    )


def terminated(fee: str, *, final: bool) -> ContractTerminated:
    return ContractTerminated(
        contract_id="contract-1",
        customer_number=CUSTOMER,
        end_date=dt.date(2026, 9, 30),
        reason="switch",
        termination_fee=Decimal(fee),
        fee_is_final=final,
    )


async def name_the_customer(service: Harness, sealer: Sealer, name: str) -> None:
    """Contracts' CustomerDetailsChanged, the name sealed as it travels."""
    details = CustomerDetailsChanged(
        customer_number=CUSTOMER, payment_method="transfer", sealed_name=sealer.seal(name)
    )
    await service.deliver(details, subject=CUSTOMER, producer="contracts")


async def activate(service: Harness, account_id: str = "account-1", language: str = "en") -> Envelope:
    activated = AccountActivated(
        account_id=account_id,
        customer_number=CUSTOMER,
        email=f"{account_id}@example.com",
        language=language,  # type: ignore[arg-type]
    )
    return await service.deliver(activated, subject=account_id, producer="identity")


async def test_parked_until_an_account_is_activated_then_sent_in_its_language(
    service: Harness, probe, mail, sender, sealer: Sealer
) -> None:
    await name_the_customer(service, sealer, "Sanne de Vries")
    await service.deliver(created(), subject="contract-1", producer="contracts")
    await sender.send_due()
    assert await probe.deliveries() == [] and mail.messages == []
    [parked] = await probe.parked()
    assert (parked.handler, parked.customer_number) == ("contract-confirmation-email", CUSTOMER)
    assert "VAST-3J" not in parked.sealed_envelope  # the event is stored sealed
    assert CUSTOMER not in parked.sealed_envelope
    async with service.runtime.new_uow() as uow:
        assert (await delivery_report(uow)).parked == 1  # `deliveries` prints it

    await activate(service, language="en")

    [message] = await probe.received(mail, 1)
    assert message["To"] == "account-1@example.com"
    assert message["Subject"] == "Confirmation of your electricity contract 123456789"
    text = message.get_body(("plain",)).get_content()
    assert text.lstrip().startswith("Dear Sanne de Vries,")
    delivery = await probe.delivery()
    assert (delivery.kind, delivery.customer_number, delivery.account_id) == (
        "contract_confirmation",
        CUSTOMER,
        "account-1",
    )
    assert await probe.parked() == []


async def test_a_redelivered_parked_event_parks_once_and_sends_once(
    service: Harness, probe, mail, sender
) -> None:
    envelope = await service.deliver(created(), subject="contract-1", producer="contracts")
    await service.redeliver(envelope, ContractCreated.topic())
    assert len(await probe.parked()) == 1

    await activate(service)
    await probe.received(mail, 1)
    await service.redeliver(envelope, ContractCreated.topic())  # after the release too
    await sender.send_due()
    assert len(mail.messages) == 1 and len(await probe.deliveries()) == 1
    assert await probe.parked() == []


async def test_the_release_is_idempotent(service: Harness, probe, mail, sender) -> None:
    await service.deliver(created(), subject="contract-1", producer="contracts")
    activated = await activate(service)
    await probe.received(mail, 1)

    await service.redeliver(activated, AccountActivated.topic())
    await activate(service, account_id="account-2")  # a second account of the customer
    await sender.send_due()
    assert len(mail.messages) == 1 and len(await probe.deliveries()) == 1
    assert await probe.parked() == []


async def test_parked_longer_than_the_window_is_recorded_as_skipped(
    service: Harness, probe, mail, sender
) -> None:
    await service.deliver(created(), subject="contract-1", producer="contracts")
    async with service.runtime.sessions() as session:
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=61)  # the window: 60 days
        await session.execute(update(ParkedEvent).values(parked_at=long_ago))
        await session.commit()
    await service.deliver(created("contract-2"), subject="contract-2", producer="contracts")  # recent

    await activate(service, language="de")

    [message] = await probe.received(mail, 1)
    assert message["Content-Language"] == "de"
    skipped = [d for d in await probe.deliveries() if d.status == "skipped"]
    [old] = skipped
    assert old.skip_reason == "parked-too-long-before-an-account"
    assert (old.kind, old.recipient, old.language) == ("contract_confirmation", "account-1@example.com", "de")
    assert (old.customer_number, old.account_id) == (CUSTOMER, "account-1")
    await sender.send_due()
    assert len(mail.messages) == 1
    assert await probe.parked() == []


async def test_parked_terminations_are_handled_in_order(service: Harness, probe, mail, sender) -> None:
    # The provisional fee, then a final one equal to it, both before there is an account: the
    # customer hears it once, as when both arrive after the account.
    await service.deliver(terminated("60.50", final=False), subject="contract-1", producer="contracts")
    await service.deliver(terminated("60.50", final=True), subject="contract-1", producer="contracts")
    assert len(await probe.parked()) == 2

    await activate(service)
    await probe.received(mail, 1)
    await sender.send_due()
    statuses = sorted((d.status, d.skip_reason) for d in await probe.deliveries())
    assert statuses == [("sent", None), ("skipped", "termination-as-already-mailed")]
    assert len(mail.messages) == 1


async def test_an_event_that_cannot_be_handled_stays_parked_and_the_account_is_known(
    service: Harness, probe, mail, sender
) -> None:
    await service.deliver(created(), subject="contract-1", producer="contracts")
    async with service.runtime.sessions() as session:
        # Sealed with a key this service no longer holds.
        await session.execute(update(ParkedEvent).values(sealed_envelope=Sealer(Sealer.new_key()).seal("{}")))
        await session.commit()

    await activate(service)
    await service.deliver(created("contract-2"), subject="contract-2", producer="contracts")

    [message] = await probe.received(mail, 1)  # the account receives mail from now on
    assert message["To"] == "account-1@example.com"
    [parked] = await probe.parked()
    assert parked.handler == "contract-confirmation-email"
