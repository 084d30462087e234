"""Notifications on real Kafka, PostgreSQL and SMTP: every email about an event, read back from
the mail catcher in the recipient's language (recipient, subject, Content-Language, a text and
an HTML part, the portal link); a redelivered event mails once; unreadable messages go to the
dead-letter topic with their reason while the consumer goes on; an SMTP outage delays an email
without failing it.

Each case makes its own recipient: an AccountActivated for a fresh customer and address, in the
case's language, handled by notifications before the event is published (an email about a
customer goes to the customer's account). Events are published straight to their topics, as
their producers would. The emails with secrets (activation, password reset, email change, portal
invitation) come from the real flows instead, which use the link or the code against identity:
test_registration.py, test_password_reset.py, test_portal_access.py, test_account_settings.py
and the email change by code below.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from portal_schemas import Envelope, EventData
from portal_schemas.billing import (
    AdvanceChanged,
    BillingModeChanged,
    InvoiceIssued,
    PaymentReminderDue,
    PaymentReturned,
)
from portal_schemas.contracts import (
    ContractCreated,
    ContractMoved,
    ContractTerminated,
    ContractWithdrawn,
    DocumentAvailable,
    RenewalProposed,
    UnilateralChangeAnnounced,
)
from portal_schemas.identity import (
    AccountActivated,
    AccountLocked,
    ContractLinked,
    EmailChanged,
    PasswordChanged,
    PortalAccessRefused,
    PortalAccessRequested,
)
from portal_schemas.metering import (
    FinalReadingRequested,
    MeterReadingReceived,
    ReadingReminderDue,
    SmartMeterConsentGranted,
    SmartMeterConsentRevoked,
    SmartMeterReconsentNeeded,
)
from portal_schemas.types import Language
from portal_stack import Mail, MailCatcherClient, Stack

DEAD_LETTERS = "notifications.dead-letter.v1"


def words(text: str | None) -> str:
    """Lines and spaces (the no-break ones inside amounts too) joined by single spaces."""
    return " ".join((text or "").split())


@dataclass(frozen=True)
class Person:
    """A customer with a portal account notifications knows, writing in ``language``."""

    customer_number: str
    account_id: str
    email: str
    language: Language


NewPerson = Callable[[Language], Person]


@pytest.fixture
def person(kafka: Any, helpers: Any) -> NewPerson:
    def make(language: Language) -> Person:
        number = helpers.new_customer_number()
        someone = Person(number, str(uuid.uuid4()), f"post{number}@example.nl", language)
        activated = AccountActivated(
            account_id=someone.account_id,
            customer_number=number,
            email=someone.email,
            language=language,
        )
        kafka.publish_event(activated, someone.account_id, "identity")
        kafka.wait_until_handled(AccountActivated.topic(), someone.account_id, "notifications.recipients")
        return someone

    return make


@dataclass(frozen=True)
class Published:
    """What a case published and what its email must say."""

    events: list[tuple[EventData, str, str]]  # (event, subject, producer)
    link: str | None  # path in the portal; None: the email has no link
    body: list[str] = field(default_factory=list)  # in the text part (spaces normalised)


@dataclass(frozen=True)
class Case:
    id: str
    language: Language
    subject: str  # a part of the subject line, in ``language``
    publish: Callable[[Person], Published]


def _contract() -> str:
    return f"C-{uuid.uuid4().hex[:12]}"


def _password_changed(p: Person) -> Published:
    changed = PasswordChanged(
        account_id=p.account_id,
        email=p.email,
        language=p.language,
        changed_at=datetime.now(UTC),
        reason="settings",
    )
    return Published([(changed, p.account_id, "identity")], "/forgot-password")


def _account_locked(p: Person) -> Published:
    locked = AccountLocked(
        account_id=p.account_id,
        email=p.email,
        language=p.language,
        locked_until=datetime.now(UTC) + timedelta(hours=3),
        failed_attempts=3,
    )
    return Published([(locked, p.account_id, "identity")], "/forgot-password")


def _contract_linked(p: Person) -> Published:
    number = "712345678"
    linked = ContractLinked(
        account_id=p.account_id,
        contract_number=number,
        contract_id=_contract(),
        customer_number=p.customer_number,
        role="co_holder",
        email=p.email,
        language=p.language,
    )
    return Published([(linked, p.account_id, "identity")], "/contracts", ["co-holder"])


def _access_requested(p: Person) -> Published:
    request_id = str(uuid.uuid4())
    asked = PortalAccessRequested(
        request_id=request_id,
        name="Sanne Bakker",
        customer_number=p.customer_number,
        email=p.email,
        language=p.language,
    )
    return Published([(asked, request_id, "identity")], None, [p.customer_number])


def _access_refused(p: Person) -> Published:
    request_id = str(uuid.uuid4())
    refused = PortalAccessRefused(
        request_id=request_id, email=p.email, language=p.language, reason="details_do_not_match"
    )
    return Published([(refused, request_id, "identity")], "/register")


def _contract_created(p: Person) -> Published:
    contract_id = _contract()
    created = ContractCreated(
        contract_id=contract_id,
        customer_number=p.customer_number,
        commodity="gas",
        product_code="VAST-1JR",
        start_date=date(2027, 9, 30),
        contract_number="734567890",
    )
    return Published([(created, contract_id, "contracts")], "/contracts", ["30 september 2027"])


def _document_available(p: Person) -> Published:
    contract_id, document_id = _contract(), str(uuid.uuid4())
    document = DocumentAvailable(
        customer_number=p.customer_number,
        contract_id=contract_id,
        document_id=document_id,
        kind="tariff_sheet",
        title="Tarifblatt Strom 2027",
    )
    return Published([(document, p.customer_number, "contracts")], f"/documents/{document_id}")


def _renewal_proposed(p: Person) -> Published:
    contract_id = _contract()
    proposed = RenewalProposed(
        contract_id=contract_id,
        customer_number=p.customer_number,
        contract_number="745678901",
        commodity="electricity",
        product_code="VAST-3JR",
        fixed_term_end=date(2027, 9, 30),
    )
    return Published([(proposed, contract_id, "contracts")], f"/contracts/{contract_id}/renewal")


def _unilateral_change(p: Person) -> Published:
    contract_id = _contract()
    announced = UnilateralChangeAnnounced(
        change_id=str(uuid.uuid4()),
        contract_id=contract_id,
        customer_number=p.customer_number,
        kind="price",
        effective_date=date(2027, 9, 30),
        description="Le prix du kWh passe de 0,31 à 0,29 euro.",
    )
    return Published(
        [(announced, contract_id, "contracts")], "/contracts", ["Le prix du kWh passe de 0,31 à 0,29 euro."]
    )


def _contract_moved(p: Person) -> Published:
    contract_id = _contract()
    moved = ContractMoved(
        contract_id=contract_id,
        customer_number=p.customer_number,
        move_out_date=date(2027, 9, 29),
        move_in_date=date(2027, 9, 30),
        old_supply_postcode="1234AB",
        new_supply_postcode="5678CD",
        new_supply_street="Dorpsstraat",
        new_supply_house_number=7,
        new_supply_city="Utrecht",
    )
    return Published([(moved, contract_id, "contracts")], "/contracts", ["5678 CD"])


def _terminated(final: bool) -> Callable[[Person], Published]:
    def publish(p: Person) -> Published:
        contract_id = _contract()
        terminated = ContractTerminated(
            contract_id=contract_id,
            customer_number=p.customer_number,
            end_date=date(2027, 9, 30),
            reason="customer_request",
            termination_fee=Decimal("145.20"),
            termination_fee_excl_vat=Decimal("120.00"),
            termination_fee_vat_rate=Decimal("0.21"),
            fee_is_final=final,
        )
        return Published([(terminated, contract_id, "contracts")], "/contracts", ["145,20", "120,00"])

    return publish


def _withdrawn(p: Person) -> Published:
    contract_id = _contract()
    withdrawn = ContractWithdrawn(
        contract_id=contract_id, customer_number=p.customer_number, withdrawn_on=date(2027, 9, 30)
    )
    return Published([(withdrawn, contract_id, "contracts")], "/contracts")


def reading(p: Person, value: str = "1234.5") -> MeterReadingReceived:
    return MeterReadingReceived(
        reading_id=str(uuid.uuid4()),
        meter_id=f"M-{uuid.uuid4().hex[:12]}",
        customer_number=p.customer_number,
        contract_id=_contract(),
        register_type="electricity_single",
        value=Decimal(value),
        unit="kWh",
        read_at=datetime(2027, 9, 30, 10, 0, tzinfo=UTC),
        source="customer",
        quality="actual",
    )


def _reading_received(p: Person) -> Published:
    received = reading(p)
    return Published([(received, received.meter_id, "metering")], "/readings", ["1 234,5 kWh"])


def _invoice_issued(p: Person) -> Published:
    invoice_id = str(uuid.uuid4())
    issued = InvoiceIssued(
        invoice_id=invoice_id,
        invoice_number=f"F2027-{p.customer_number}",
        customer_number=p.customer_number,
        kind="periodic",
        issued_at=datetime(2027, 9, 1, 9, 0, tzinfo=UTC),
        due_date=date(2027, 9, 30),
        total_incl_vat=Decimal("98.00"),
    )
    return Published([(issued, invoice_id, "billing")], f"/invoices/{invoice_id}", ["98,00 €"])


def _reading_reminder(p: Person) -> Published:
    contract_id = _contract()
    due = ReadingReminderDue(
        contract_id=contract_id,
        customer_number=p.customer_number,
        meter_id="meter-1",
        due_on=date(2027, 9, 30),
        registers=["gas"],
    )
    return Published([(due, contract_id, "metering")], f"/contracts/{contract_id}/readings/new")


def _final_reading(p: Person) -> Published:
    contract_id = _contract()
    requested = FinalReadingRequested(
        contract_id=contract_id,
        customer_number=p.customer_number,
        meter_id="meter-1",
        end_date=date(2027, 9, 30),
        registers=["electricity_normal", "electricity_offpeak"],
    )
    return Published([(requested, contract_id, "metering")], f"/contracts/{contract_id}/readings/new")


def _consent_granted(p: Person) -> Published:
    contract_id = _contract()
    granted = SmartMeterConsentGranted(
        contract_id=contract_id,
        customer_number=p.customer_number,
        terms_version=1,
        granted_at=datetime(2027, 9, 1, 9, 0, tzinfo=UTC),
        data_expected_by=date(2027, 9, 8),
    )
    return Published([(granted, contract_id, "metering")], f"/contracts/{contract_id}/consumption")


def _consent_revoked(p: Person) -> Published:
    contract_id = _contract()
    revoked = SmartMeterConsentRevoked(
        contract_id=contract_id,
        customer_number=p.customer_number,
        revoked_at=datetime(2027, 9, 1, 9, 0, tzinfo=UTC),
    )
    return Published([(revoked, contract_id, "metering")], f"/contracts/{contract_id}/smart-meter-consent")


def _reconsent(p: Person) -> Published:
    contract_id = _contract()
    needed = SmartMeterReconsentNeeded(
        contract_id=contract_id, customer_number=p.customer_number, consented_version=1, current_version=2
    )
    return Published([(needed, contract_id, "metering")], f"/contracts/{contract_id}/smart-meter-consent")


def _advance_changed(p: Person) -> Published:
    contract_id = _contract()
    changed = AdvanceChanged(
        contract_id=contract_id,
        customer_number=p.customer_number,
        amount=Decimal("87.50"),
        previous_amount=Decimal("95.00"),
        recommended_amount=Decimal("87.50"),
        effective_from=date(2027, 9, 30),
        changed_by="customer",
    )
    return Published([(changed, contract_id, "billing")], f"/contracts/{contract_id}/billing", ["€87.50"])


def _billing_mode_changed(p: Person) -> Published:
    contract_id = _contract()
    changed = BillingModeChanged(
        contract_id=contract_id,
        customer_number=p.customer_number,
        mode="quarterly",
        previous_mode="monthly_advance",
        effective_from=date(2027, 9, 30),
    )
    return Published([(changed, contract_id, "billing")], f"/contracts/{contract_id}/billing")


def _payment_reminder(p: Person) -> Published:
    invoice_id = str(uuid.uuid4())
    due = PaymentReminderDue(
        invoice_id=invoice_id,
        invoice_number=f"M2027-{p.customer_number}",
        customer_number=p.customer_number,
        step=1,
        due_date=date(2027, 9, 1),
        days_overdue=14,
        open_amount=Decimal("1087.65"),
        pay_by=date(2027, 9, 30),
    )
    return Published([(due, invoice_id, "billing")], f"/invoices/{invoice_id}", ["1.087,65 €"])


def _payment_returned(p: Person) -> Published:
    payment_id = str(uuid.uuid4())
    returned = PaymentReturned(
        payment_id=payment_id,
        customer_number=p.customer_number,
        amount=Decimal("93.17"),
        reason_code="MS02",
        returned_at=datetime(2027, 9, 1, 9, 0, tzinfo=UTC),
    )
    return Published([(returned, payment_id, "billing")], "/invoices")


CASES = [
    Case("password-changed", "de", "Passwort Ihres Kontos im Kundenportal wurde geändert", _password_changed),
    Case("account-locked", "fr", "compte sur le portail client est temporairement bloqué", _account_locked),
    Case("contract-linked", "en", "Contract 712345678 has been added to your customer portal",
         _contract_linked),
    Case("access-requested", "de", "Anfrage für den Zugang zum Kundenportal erhalten", _access_requested),
    Case("access-refused", "fr", "Votre demande d\u2019accès au portail client", _access_refused),
    Case("contract-created", "nl", "Bevestiging van je gascontract 734567890", _contract_created),
    Case("document-available", "de", "Neu in Ihrem Postfach: Tarifblatt Strom 2027", _document_available),
    Case("renewal-proposed", "en", "Your fixed term ends on 30 September 2027", _renewal_proposed),
    Case("unilateral-change", "fr", "Modification de votre contrat à partir du 30 septembre 2027",
         _unilateral_change),
    Case("contract-moved", "nl", "Je verhuizing is verwerkt", _contract_moved),
    Case("terminated-provisional", "de", "Kündigung bestätigt", _terminated(final=False)),
    Case("terminated-final", "nl", "Opzegging bevestigd", _terminated(final=True)),
    Case("withdrawn", "en", "you have withdrawn from your contract free of charge", _withdrawn),
    Case("reading-received", "fr", "Nous avons bien reçu votre relevé de compteur", _reading_received),
    Case("invoice-issued", "de", "Neu in Ihrem Postfach: Rechnung F2027-", _invoice_issued),
    # Read back in Dutch (and the reading reminder in English) by test_metering_emails.py and
    # test_billing_emails.py; here in the other languages, with the header and both parts.
    Case("reading-reminder", "de", "Zeit für Ihre Zählerstände", _reading_reminder),
    Case("final-reading", "fr", "Vos index de fin de contrat au 30 septembre 2027", _final_reading),
    Case("consent-granted", "en", "we may now read your smart meter remotely", _consent_granted),
    Case("consent-revoked", "de", "Ihres Smart Meters widerrufen", _consent_revoked),
    Case("reconsent", "fr", "merci de renouveler votre autorisation", _reconsent),
    Case("advance-changed", "en", "Your advance has changed", _advance_changed),
    Case("billing-mode-changed", "fr", "Nouveau mode de facturation", _billing_mode_changed),
    Case("payment-reminder", "de", "Zahlungserinnerung: Rechnung M2027-", _payment_reminder),
    Case("payment-returned", "en", "Your direct debit of €93.17 was returned", _payment_returned),
]  # fmt: skip


def mail_to(mail: MailCatcherClient, email: str, subject_part: str) -> Mail:
    return mail.wait_for(lambda m: email in m.to and subject_part in m.subject, timeout=30)


def assert_email(message: Mail, person: Person, stack: Stack, link: str | None) -> None:
    """Addressed to ``person`` alone, in their language, with a text and an HTML part that
    both carry the portal link (or no link to the portal at all)."""
    assert message.to == [person.email]
    assert message.headers["To"] == person.email
    assert message.headers["Content-Language"] == person.language
    assert message.headers["Message-ID"].endswith("@portal.invalid>")
    assert message.text and message.html
    if link is None:
        assert stack.gateway_url not in message.text + message.html
    else:
        url = stack.gateway_url + link
        assert url in message.text.split(), message.text  # on a line of its own: clickable
        assert f'href="{url}"' in message.html


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_event_is_mailed_in_the_recipients_language(
    case: Case, stack: Stack, mail: MailCatcherClient, kafka: Any, person: NewPerson
) -> None:
    someone = person(case.language)
    published = case.publish(someone)
    for event, subject, producer in published.events:
        kafka.publish_event(event, subject, producer)

    message = mail_to(mail, someone.email, case.subject)

    assert_email(message, someone, stack, published.link)
    text = words(message.text)
    for part in published.body:
        assert part in text, text


def test_a_provisional_fee_then_a_different_final_fee_are_both_mailed_once(
    stack: Stack, mail: MailCatcherClient, kafka: Any, databases: Any, person: NewPerson
) -> None:
    someone = person("en")
    contract_id = _contract()

    def terminated(fee: str, excl: str, final: bool) -> ContractTerminated:
        return ContractTerminated(
            contract_id=contract_id,
            customer_number=someone.customer_number,
            end_date=date(2027, 9, 30),
            reason="switch",
            termination_fee=Decimal(fee),
            termination_fee_excl_vat=Decimal(excl),
            termination_fee_vat_rate=Decimal("0.21"),
            fee_is_final=final,
        )

    kafka.publish_event(terminated("121.00", "100.00", final=False), contract_id, "contracts")
    provisional = mail_to(mail, someone.email, "Termination confirmed")
    assert_email(provisional, someone, stack, "/contracts")
    assert "€121.00 (incl. VAT), €100.00 excl. VAT" in words(provisional.text)
    assert "provisional" in words(provisional.text)

    kafka.publish_event(terminated("96.80", "80.00", final=True), contract_id, "contracts")
    final = mail.wait_for(
        lambda m: someone.email in m.to and "Termination confirmed" in m.subject and m.id != provisional.id,
        timeout=30,
    )
    assert "€96.80 (incl. VAT), €80.00 excl. VAT" in words(final.text)
    assert "final" in words(final.text) and "provisional" not in words(final.text)

    # The same final terms again (contracts recomputed nothing new): recorded, not mailed.
    again = kafka.publish_event(terminated("96.80", "80.00", final=True), contract_id, "contracts")
    kafka.wait_for_group(
        "notifications.contract-terminated-email",
        kafka.keyed(ContractTerminated.topic(), contract_id, count=3)[-1],
    )
    [skipped] = databases["notifications"].fetch(
        "SELECT status, skip_reason FROM deliveries WHERE event_id = $1", str(again.event_id)
    )
    assert (skipped["status"], skipped["skip_reason"]) == ("skipped", "termination-as-already-mailed")
    mine = [m for m in mail.list() if someone.email in m.to and "Termination confirmed" in m.subject]
    assert len(mine) == 2


def test_an_event_delivered_twice_is_mailed_once(
    mail: MailCatcherClient, kafka: Any, databases: Any, person: NewPerson
) -> None:
    someone = person("fr")
    withdrawn = ContractWithdrawn(
        contract_id=_contract(), customer_number=someone.customer_number, withdrawn_on=date(2027, 9, 30)
    )
    envelope = kafka.publish_event(withdrawn, withdrawn.contract_id, "contracts")
    kafka.publish(ContractWithdrawn.topic(), envelope.to_json(), key=withdrawn.contract_id)  # redelivery

    mail_to(mail, someone.email, "vous avez renoncé à votre contrat")
    second = kafka.keyed(ContractWithdrawn.topic(), withdrawn.contract_id, count=2)[-1]
    kafka.wait_for_group("notifications.contract-withdrawn-email", second)
    rows = databases["notifications"].fetch(
        "SELECT status FROM deliveries WHERE event_id = $1", str(envelope.event_id)
    )
    assert [r["status"] for r in rows] == ["sent"]
    assert len([m for m in mail.list() if someone.email in m.to]) == 1


def _letter(kafka: Any, key: str) -> tuple[bytes, dict[str, str]]:
    """The notifications consumer's dead letter keyed ``key``: its value and headers."""
    records = kafka.keyed(DEAD_LETTERS, key)
    letters = [
        (r.value, {k: v.decode() for k, v in r.headers})
        for r in records
        if dict(r.headers).get("dlt-consumer-group") == b"notifications.reading-confirmation-email"
    ]
    assert len(letters) == 1, records
    return letters[0]


def test_unreadable_messages_are_dead_lettered_with_their_reason_and_the_next_is_mailed(
    mail: MailCatcherClient, kafka: Any, person: NewPerson
) -> None:
    someone = person("nl")
    topic = MeterReadingReceived.topic()
    not_json, incomplete = str(uuid.uuid4()), str(uuid.uuid4())
    kafka.publish(topic, b"{this is not json", key=not_json)
    envelope = Envelope.wrap(reading(someone), subject=incomplete, producer="metering")
    data = {k: v for k, v in envelope.data.items() if k not in ("value", "register_type")}
    kafka.publish(topic, envelope.model_copy(update={"data": data}).to_json(), key=incomplete)
    valid = reading(someone, "4321.5")
    kafka.publish_event(valid, valid.meter_id, "metering")

    value, headers = _letter(kafka, not_json)
    assert value == b"{this is not json"  # kept as it was, for an operator to look at
    assert headers["dlt-original-topic"] == topic
    assert int(headers["dlt-original-offset"]) >= 0
    assert headers["dlt-error"] and headers["dlt-error-type"]

    value, headers = _letter(kafka, incomplete)
    assert json.loads(value)["event_id"] == str(envelope.event_id)
    assert headers["dlt-original-topic"] == topic
    assert "data.value" in headers["dlt-error"] and "data.register_type" in headers["dlt-error"]
    assert "Field required" in headers["dlt-error"]
    assert headers["dlt-error-type"] == "ValidationError"

    confirmation = mail_to(mail, someone.email, "We hebben je meterstand ontvangen")
    assert "4.321,5 kWh" in words(confirmation.text)
    assert len([m for m in mail.list() if someone.email in m.to]) == 1


def test_an_unknown_event_type_is_dead_lettered_not_taken_for_the_topics_event(
    mail: MailCatcherClient, kafka: Any, person: NewPerson
) -> None:
    someone = person("en")
    unknown = str(uuid.uuid4())
    # A well-formed envelope whose payload even fits the topic's event, but of another type.
    envelope = Envelope.wrap(reading(someone), subject=unknown, producer="metering")
    odd = envelope.model_copy(update={"event_type": "MeterReadingDisputed"})
    kafka.publish(MeterReadingReceived.topic(), odd.to_json(), key=unknown)
    valid = reading(someone, "77")
    kafka.publish_event(valid, valid.meter_id, "metering")

    value, headers = _letter(kafka, unknown)
    assert json.loads(value)["event_type"] == "MeterReadingDisputed"
    assert "MeterReadingDisputed" in headers["dlt-error"]
    confirmation = mail_to(mail, someone.email, "We have received your meter reading")
    assert "77 kWh" in words(confirmation.text)
    assert len([m for m in mail.list() if someone.email in m.to]) == 1


def test_while_smtp_is_down_the_email_waits_and_is_sent_once_it_is_back(
    stack: Stack, mail: MailCatcherClient, kafka: Any, databases: Any, person: NewPerson, helpers: Any
) -> None:
    someone = person("de")
    catcher = stack.mail
    assert catcher is not None and catcher.running
    moved = ContractMoved(
        contract_id=_contract(),
        customer_number=someone.customer_number,
        move_out_date=date(2027, 9, 29),
        move_in_date=date(2027, 9, 30),
        old_supply_postcode="1234AB",
        new_supply_postcode="5678CD",
    )
    envelope = Envelope.wrap(moved, subject=moved.contract_id, producer="contracts")

    def delivery() -> Any:
        rows = databases["notifications"].fetch(
            "SELECT status, attempts, last_error FROM deliveries WHERE event_id = $1", str(envelope.event_id)
        )
        return rows[0] if rows else None

    catcher.stop()
    try:
        kafka.publish(ContractMoved.topic(), envelope.to_json(), key=moved.contract_id)
        # The sender tried, found nobody listening, and gave the email back without counting
        # an attempt: still pending, never failed, however long the outage lasts.
        tried = helpers.eventually(lambda: (row := delivery()) is not None and row["last_error"] and row)
        assert (tried["status"], tried["attempts"]) == ("pending", 0)
        time.sleep(3)  # a few paused rounds of the sender
        assert tuple(delivery()[k] for k in ("status", "attempts")) == ("pending", 0)
    finally:
        if not catcher.running:
            catcher.start_and_wait()

    message = mail_to(mail, someone.email, "Ihr Umzug ist bestätigt")
    assert message.headers["Content-Language"] == "de"
    sent = helpers.eventually(lambda: (row := delivery())["status"] == "sent" and row, timeout=30)
    assert sent["attempts"] == 1
    time.sleep(2)  # a second copy would be on its way by now
    assert len([m for m in mail.list() if someone.email in m.to]) == 1


def test_email_change_confirmed_by_the_code_in_the_customers_language(
    gateway: httpx.Client, mail: MailCatcherClient, kafka: Any, customer: Any, helpers: Any
) -> None:
    auth = helpers.log_in(gateway, customer.email, customer.password)
    german = {"language": "de", "offers": False, "news": False, "energy_saving_advice": False}
    assert gateway.put("/identity/v1/me/preferences", headers=auth, json=german).status_code == 200
    new_email = "umgezogen-" + customer.email
    asked = gateway.post(
        "/identity/v1/me/email-change",
        headers=auth,
        json={"password": customer.password, "new_email": new_email},
    )
    assert asked.status_code == 202, asked.text

    verification = mail_to(mail, new_email, "Bestätigen Sie Ihre neue E-Mail-Adresse")
    assert verification.headers["Content-Language"] == "de"
    assert verification.text and verification.html
    [code] = re.findall(r"^\s*(\d{6})\s*$", verification.text, flags=re.MULTILINE)
    assert code in verification.html
    notice = mail_to(mail, customer.email, "neue E-Mail-Adresse angefordert")
    assert notice.headers["Content-Language"] == "de"
    assert code not in (notice.text or "") + (notice.html or "")  # the old address cannot confirm

    def confirm(typed: str, headers: dict[str, str] | None) -> httpx.Response:
        return gateway.post("/identity/v1/email-changes/confirm", json={"code": typed}, headers=headers)

    assert confirm(code, None).status_code == 401  # a code counts only for the signed-in owner
    wrong = confirm("000000" if code != "000000" else "111111", auth)
    assert wrong.status_code == 400, wrong.text
    assert confirm(code, auth).status_code == 204
    helpers.log_in(gateway, new_email, customer.password)
    assert confirm(code, auth).status_code == 400  # used up

    # Notifications follows the change: the next email about the customer goes to the new address.
    kafka.wait_until_handled(EmailChanged.topic(), customer.account_id, "notifications.recipient-email")
    invoice_id = str(uuid.uuid4())
    number = f"F2027-{uuid.uuid4().hex[:8]}"
    kafka.publish_event(
        InvoiceIssued(
            invoice_id=invoice_id,
            invoice_number=number,
            customer_number=customer.customer_number,
            kind="periodic",
            issued_at=datetime.now(UTC),
            due_date=date(2027, 9, 30),
            total_incl_vat=Decimal("45.60"),
        ),
        invoice_id,
        "billing",
    )
    invoice = mail_to(mail, new_email, number)
    assert invoice.headers["Content-Language"] == "de"
    assert not [m for m in mail.list() if customer.email in m.to and number in m.subject]
