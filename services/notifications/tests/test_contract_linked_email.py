"""ContractLinked → one "contract … was added to your account" email, as holder or co-holder."""

from __future__ import annotations

from portal_chassis.testing import Harness
from portal_schemas.identity import ContractLinked

from .conftest import text_and_html

CONTRACTS = "https://portal.example.test/contracts"


def contract_linked(
    *, language: str = "nl", role: str = "holder", account_id: str = "account-1"
) -> ContractLinked:
    return ContractLinked(
        account_id=account_id,
        contract_number="012345678",
        contract_id="contract-9",
        customer_number="100200300",
        role=role,  # type: ignore[arg-type]
        email=f"{account_id}@example.nl",
        language=language,  # type: ignore[arg-type]
    )


async def test_a_linked_contract_becomes_one_email(service: Harness, probe, mail) -> None:
    await service.deliver(contract_linked(), subject="account-1", producer="identity")

    [message] = await probe.received(mail, 1)
    delivery = await probe.delivery()
    assert delivery.kind == "contract_linked" and delivery.status == "sent"
    assert delivery.customer_number == "100200300"
    assert message["To"] == "account-1@example.nl"
    assert message["Content-Language"] == "nl"
    assert message["Subject"] == "Contract 012345678 is toegevoegd aan je account op het klantportaal"
    text, html = text_and_html(message)
    assert "Contract 012345678" in text and "<strong>012345678</strong>" in html  # leading zero kept
    assert "als contracthouder" in text and "als contracthouder" in html
    assert CONTRACTS in text.splitlines() and f'href="{CONTRACTS}"' in html


async def test_holder_and_co_holder_read_differently_in_each_language(service: Harness, probe, mail) -> None:
    sent = {"en": "co_holder", "fr": "holder", "de": "co_holder"}
    for language, role in sent.items():
        event = contract_linked(language=language, role=role, account_id=f"a-{language}")
        await service.deliver(event, subject=event.account_id, producer="identity")

    messages = await probe.received(mail, 3)
    subjects = {m["Content-Language"]: m["Subject"] for m in messages}
    assert subjects == {
        "en": "Contract 012345678 has been added to your customer portal account",
        "fr": "Le contrat 012345678 a été ajouté à votre compte sur le portail client",
        "de": "Vertrag 012345678 wurde Ihrem Konto im Kundenportal hinzugefügt",
    }
    texts = {m["Content-Language"]: text_and_html(m)[0] for m in messages}
    assert "as a co-holder of the contract" in texts["en"]
    assert "en tant que titulaire du contrat" in texts["fr"]
    assert "als Mitvertragspartner" in texts["de"]
    for text in texts.values():
        assert CONTRACTS in text.splitlines()


async def test_the_same_event_twice_sends_once(service: Harness, probe, mail, sender) -> None:
    envelope = await service.deliver(contract_linked(), subject="account-1", producer="identity")
    await probe.received(mail, 1)

    await service.redeliver(envelope, ContractLinked.topic())
    await sender.send_due()

    assert len(mail.messages) == 1
    assert len(await probe.deliveries()) == 1
