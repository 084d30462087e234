"""PortalAccessRequested → an acknowledgement to the address given in the request."""

from __future__ import annotations

from portal_chassis.testing import Harness
from portal_schemas.identity import PortalAccessRequested

from .conftest import text_and_html


def access_requested(*, language: str = "nl", request_id: str = "request-1") -> PortalAccessRequested:
    return PortalAccessRequested(
        request_id=request_id,
        name="Sanne <de Vries>",
        customer_number="100200300",
        email=f"{request_id}@example.nl",
        language=language,  # type: ignore[arg-type]
    )


async def test_a_request_is_acknowledged(service: Harness, probe, mail) -> None:
    await service.deliver(access_requested(), subject="request-1", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.kind == "portal_access_requested" and delivery.status == "sent"
    assert delivery.customer_number is None  # only claimed by the requester, not filed
    assert message["To"] == "request-1@example.nl"
    assert message["Subject"] == "We hebben je aanvraag voor toegang tot het klantportaal ontvangen"
    text, html = text_and_html(message)
    assert "Beste Sanne <de Vries>," in text
    assert "Beste Sanne &lt;de Vries&gt;," in html  # what a person typed is escaped in HTML
    assert "100200300" in text and "100200300" in html
    assert "per e-mail op dit adres" in html  # operations answer by email
    assert "omdat je een account hebt" not in text  # they have none (yet)


async def test_each_language_is_its_own(service: Harness, probe, mail) -> None:
    for language in ("en", "fr", "de"):
        event = access_requested(language=language, request_id=f"r-{language}")
        await service.deliver(event, subject=event.request_id, producer="identity")

    messages = await probe.received(mail, 3)
    subjects = {m["Content-Language"]: m["Subject"] for m in messages}
    assert subjects == {
        "en": "We have received your request for access to the customer portal",
        "fr": "Nous avons bien reçu votre demande d\u2019accès au portail client",
        "de": "Wir haben Ihre Anfrage für den Zugang zum Kundenportal erhalten",
    }
    texts = {m["Content-Language"]: text_and_html(m)[0] for m in messages}
    assert "Dear Sanne <de Vries>," in texts["en"] and "by email" in texts["en"]
    assert "Bonjour Sanne <de Vries>," in texts["fr"] and "par e-mail" in texts["fr"]
    assert "Guten Tag Sanne <de Vries>," in texts["de"] and "per E-Mail" in texts["de"]


async def test_the_same_event_twice_sends_once(service: Harness, probe, mail, sender) -> None:
    envelope = await service.deliver(access_requested(), subject="request-1", producer="identity")
    await probe.received(mail, 1)

    await service.redeliver(envelope, PortalAccessRequested.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1
