"""DocumentAvailable → "a new document is in your mailbox", with its title and a link to it."""

from __future__ import annotations

from portal_chassis.testing import Harness
from portal_schemas.contracts import DocumentAvailable


def document(customer_number: str = "100200300", title: str = "Tarieven 2026") -> DocumentAvailable:
    return DocumentAvailable(
        customer_number=customer_number,
        contract_id="contract-1",
        document_id="doc 7",
        kind="tariff_sheet",
        title=title,
    )


async def test_new_document_in_dutch_and_german(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="1", email="a@example.nl", language="nl")
    await probe.register(customer_number="2", email="b@example.de", language="de")
    for customer in ("1", "2"):
        await service.deliver(document(customer), subject="contract-1", producer="contracts")

    messages = {m["To"]: m for m in await probe.received(mail, 2)}
    assert messages["a@example.nl"]["Subject"] == "Nieuw in je berichtenbox: Tarieven 2026"
    assert messages["b@example.de"]["Subject"] == "Neu in Ihrem Postfach: Tarieven 2026"
    assert "tarievenblad" in messages["a@example.nl"].get_body(("plain",)).get_content()
    assert "Preisblatt" in messages["b@example.de"].get_body(("plain",)).get_content()
    for message in messages.values():
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        # The id is quoted: it is a path segment of the link.
        assert "https://portal.example.test/documents/doc%207" in text.splitlines()
        assert 'href="https://portal.example.test/documents/doc%207"' in html


async def test_the_title_is_escaped_in_html(service: Harness, probe, mail) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    await service.deliver(document(title="A<b>&1"), subject="contract-1", producer="contracts")

    [message] = await probe.received(mail, 1)
    assert "A<b>&1" in message.get_body(("plain",)).get_content()
    assert "A&lt;b&gt;&amp;1" in message.get_body(("html",)).get_content()


async def test_redelivery_sends_nothing_new(service: Harness, probe, mail, sender) -> None:
    await probe.register(customer_number="100200300", email="klant@example.nl")
    envelope = await service.deliver(document(), subject="contract-1", producer="contracts")
    await probe.received(mail, 1)

    await service.redeliver(envelope, DocumentAvailable.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1


async def test_no_known_recipient_parks_the_event(service: Harness, probe, mail, sender) -> None:
    await service.deliver(document("999000111"), subject="contract-1", producer="contracts")
    await sender.send_due()

    # Nobody to write to yet: no delivery; the event waits for the customer's first account.
    assert await probe.deliveries() == [] and mail.messages == []
    assert len(await probe.parked()) == 1
