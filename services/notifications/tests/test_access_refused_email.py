"""PortalAccessRefused → the reason in the person's language and what they can do instead."""

from __future__ import annotations

from portal_chassis.testing import Harness
from portal_schemas.identity import PortalAccessRefused

from .conftest import text_and_html

REGISTER = "https://portal.example.test/register"


def refused(
    *, language: str = "nl", reason: str = "details_do_not_match", request_id: str = "request-1"
) -> PortalAccessRefused:
    return PortalAccessRefused(
        request_id=request_id,
        email=f"{request_id}@example.nl",
        language=language,  # type: ignore[arg-type]
        reason=reason,  # type: ignore[arg-type]
    )


async def test_a_refusal_says_why_and_what_next(service: Harness, probe, mail) -> None:
    await service.deliver(refused(), subject="request-1", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.kind == "portal_access_refused" and delivery.status == "sent"
    assert message["To"] == "request-1@example.nl"
    assert message["Subject"] == "Je aanvraag voor toegang tot het klantportaal"
    text, html = text_and_html(message)
    assert "komen niet overeen" in text and "komen niet overeen" in html
    assert "klantnummer en de postcode" in text  # register with an invoice's details
    assert REGISTER in text.splitlines() and f'href="{REGISTER}"' in html
    assert "klantenservice" in text
    assert "details_do_not_match" not in text + html


async def test_each_language_and_reason_is_its_own(service: Harness, probe, mail) -> None:
    sent = {"en": "not_a_customer", "fr": "other", "de": "business_customer"}
    for language, reason in sent.items():
        event = refused(language=language, reason=reason, request_id=f"r-{language}")
        await service.deliver(event, subject=event.request_id, producer="identity")

    messages = await probe.received(mail, 3)
    subjects = {m["Content-Language"]: m["Subject"] for m in messages}
    assert subjects == {
        "en": "Your request for access to the customer portal",
        "fr": "Votre demande d\u2019accès au portail client",
        "de": "Ihre Anfrage für den Zugang zum Kundenportal",
    }
    texts = {m["Content-Language"]: text_and_html(m)[0] for m in messages}
    assert "could not find a customer" in texts["en"] and "customer service" in texts["en"]
    assert REGISTER in texts["en"].splitlines()
    assert "pas pu accepter" in texts["fr"] and "service client" in texts["fr"]
    assert REGISTER in texts["fr"].splitlines()
    # A business customer is sent to the business desk, not to a registration that cannot work.
    assert "Geschäftskunden" in texts["de"] and REGISTER not in texts["de"]


async def test_the_same_event_twice_sends_once(service: Harness, probe, mail, sender) -> None:
    envelope = await service.deliver(refused(), subject="request-1", producer="identity")
    await probe.received(mail, 1)

    await service.redeliver(envelope, PortalAccessRefused.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1
