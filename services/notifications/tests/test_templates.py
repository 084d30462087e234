"""Every email in every language renders, with the wording and escaping it should have."""

from __future__ import annotations

import pytest

from notifications.delivery.templates import EmailTemplates, RenderedEmail
from notifications.domain.delivery import EmailKind
from notifications.domain.locale import LANGUAGES

LINK = "https://portal.example.test/reset-password?token=" + "x" * 43  # longer than 78 chars
VALUES = {
    EmailKind.PASSWORD_RESET: {
        "link": LINK, "expires_at": "2099", "code": "012345", "code_expires_at": "2099"
    },
    EmailKind.ACCOUNT_LOCKED: {"link": LINK, "locked_until": "2099"},
    EmailKind.ACTIVATION: {"link": LINK, "code": "042917", "expires_at": "2099"},
    EmailKind.READING_CONFIRMATION: {
        "register": "gas", "value": "12,5", "unit": "m3", "read_on": "2026", "link": LINK,
        "unusual": False, "final": False,
    },
    EmailKind.INVOICE_ISSUED: {
        "kind": "final_settlement", "invoice_number": "F-1", "total": "€ 1,00", "refund": False,
        "due_date": "2026", "link": LINK, "credited_link": None, "estimated": False,
    },
    EmailKind.PASSWORD_CHANGED: {"link": LINK, "changed_at": "2099", "reason": "settings"},
    EmailKind.EMAIL_CHANGE_CONFIRMATION: {"link": LINK, "code": "042917", "expires_at": "2099"},
    EmailKind.EMAIL_CHANGE_NOTICE: {"link": LINK, "new_email": "j***@example.nl", "requested_at": "2099"},
    EmailKind.CONTRACT_LINKED: {"link": LINK, "contract_number": "123456789", "role": "co_holder"},
    EmailKind.PORTAL_ACCESS_REQUESTED: {"name": "J. Jansen", "customer_number": "100200300"},
    EmailKind.PORTAL_ACCESS_APPROVED: {"link": LINK, "expires_at": "2099"},
    EmailKind.PORTAL_ACCESS_REFUSED: {"link": LINK, "reason": "details_do_not_match"},
    EmailKind.CONTRACT_CONFIRMATION: {
        "link": LINK, "contract_number": None, "commodity": "gas", "product": "VAST-3J",
        "start_date": "2026", "withdrawal_until": "2026",
    },
    EmailKind.DOCUMENT_AVAILABLE: {"link": LINK, "document_kind": "tariff_sheet", "title": "Tarieven"},
    EmailKind.RENEWAL_PROPOSAL: {
        "link": LINK, "contract_number": "123456789", "commodity": "heat", "product": "VAST-1J",
        "fixed_term_end": "2026",
    },
    EmailKind.UNILATERAL_CHANGE: {
        "link": LINK, "change_kind": "conditions", "description": "x", "effective_date": "2026",
    },
    EmailKind.CONTRACT_MOVED: {
        "link": LINK, "old_postcode": "1234 AB", "new_postcode": "5678 CD",
        "move_out_date": "2026", "move_in_date": "2026",
    },
    EmailKind.CONTRACT_TERMINATED: {
        "link": LINK, "end_date": "2026", "fee": "€ 1,00", "fee_excl_vat": None, "is_final": False,
    },
    EmailKind.CONTRACT_WITHDRAWN: {"link": LINK, "withdrawn_on": "2026", "last_supply_day": None},
    EmailKind.READING_REMINDER: {
        "link": LINK, "registers": ["electricity_normal", "electricity_offpeak"], "due_on": "2026",
        "last_read_on": None,
    },
    EmailKind.FINAL_READING_REQUEST: {"link": LINK, "registers": ["heat", "hot_water"], "end_date": "2026"},
    EmailKind.SMART_METER_CONSENT_GRANTED: {"link": LINK, "granted_on": "2026", "data_expected_by": "2027"},
    EmailKind.SMART_METER_CONSENT_REVOKED: {"link": LINK, "revoked_on": "2026"},
    EmailKind.SMART_METER_RECONSENT: {"link": LINK},
    EmailKind.ADVANCE_CHANGED: {
        "link": LINK, "changed_by": "customer", "amount": "€ 95,00", "previous_amount": "€ 120,00",
        "recommended_amount": None, "effective_from": "2026",
    },
    EmailKind.BILLING_MODE_CHANGED: {
        "link": LINK, "mode": "quarterly", "previous_mode": "monthly_advance", "effective_from": "2026",
    },
    EmailKind.PAYMENT_REMINDER: {
        "link": LINK, "step": 1, "invoice_number": "A-1", "open_amount": "€ 5,00", "due_date": "2026",
        "pay_by": "2027",
    },
    EmailKind.PAYMENT_RETURNED: {"link": LINK, "amount": "€ 5,00", "returned_on": "2026", "reason": None},
}  # fmt: skip
REASONS = ("reset", "settings", "legacy_migration")
ROLES = ("holder", "co_holder")
REFUSALS = ("not_a_customer", "details_do_not_match", "business_customer", "other")
# Only an acknowledgement: nothing to click until operations have answered.
WITHOUT_LINK = {EmailKind.PORTAL_ACCESS_REQUESTED}

templates = EmailTemplates()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(EmailKind))
def test_renders_with_the_link_alone_on_its_line(kind: EmailKind, language: str) -> None:
    email = templates.render(kind, language, VALUES[kind])  # type: ignore[arg-type]
    assert email.subject and "\n" not in email.subject
    if kind in WITHOUT_LINK:
        assert "http" not in email.text and "<a " not in email.html
        return
    assert LINK in email.text.splitlines()  # copyable as a whole, never wrapped
    assert f'<html lang="{language}">' in email.html
    assert f"<title>{email.subject}</title>" in email.html
    assert f'href="{LINK}"' in email.html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [EmailKind.ACTIVATION, EmailKind.EMAIL_CHANGE_CONFIRMATION])
def test_the_code_stands_alone_in_both_parts(kind: EmailKind, language: str) -> None:
    email = templates.render(kind, language, VALUES[kind])  # type: ignore[arg-type]
    assert "042917" in email.text.splitlines()  # leading zero kept, nothing around it
    assert ">042917</p>" in email.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_reason_for_a_password_change_has_its_own_sentence(language: str) -> None:
    bodies = {}
    for reason in REASONS:
        values = {**VALUES[EmailKind.PASSWORD_CHANGED], "reason": reason}
        email = templates.render(EmailKind.PASSWORD_CHANGED, language, values)  # type: ignore[arg-type]
        assert LINK in email.text.splitlines()
        assert f'href="{LINK}"' in email.html
        assert "legacy_migration" not in email.text + email.html  # phrased, never the code
        bodies[reason] = email.text
    assert len(set(bodies.values())) == len(REASONS)  # three reasons, three wordings


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_contract_role_has_its_own_wording(language: str) -> None:
    texts = set()
    for role in ROLES:
        values = {**VALUES[EmailKind.CONTRACT_LINKED], "role": role}
        email = templates.render(EmailKind.CONTRACT_LINKED, language, values)  # type: ignore[arg-type]
        assert "123456789" in email.subject and "123456789" in email.html
        assert "co_holder" not in email.text + email.html  # phrased, never the code
        texts.add(email.text)
    assert len(texts) == len(ROLES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_refusal_has_its_own_reason_and_way_forward(language: str) -> None:
    texts = {}
    for reason in REFUSALS:
        values = {**VALUES[EmailKind.PORTAL_ACCESS_REFUSED], "reason": reason}
        email = templates.render(EmailKind.PORTAL_ACCESS_REFUSED, language, values)  # type: ignore[arg-type]
        assert reason not in email.text + email.html
        # Registering with an invoice's details is no way in for a business customer.
        assert (LINK in email.text.splitlines()) == (reason != "business_customer")
        assert (f'href="{LINK}"' in email.html) == (reason != "business_customer")
        texts[reason] = email.text
    assert len(set(texts.values())) == len(REFUSALS)


@pytest.mark.parametrize("kind", [EmailKind.PORTAL_ACCESS_REQUESTED, EmailKind.PORTAL_ACCESS_REFUSED])
def test_mail_to_someone_without_an_account_does_not_claim_they_have_one(kind: EmailKind) -> None:
    for language in LANGUAGES:
        email = templates.render(kind, language, VALUES[kind])  # type: ignore[arg-type]
        account_holders = templates.render(EmailKind.ACTIVATION, language, VALUES[EmailKind.ACTIVATION])
        because = account_holders.text.rstrip().splitlines()[-2]  # "... because you have an account ..."
        assert because not in email.text and because not in email.html
        assert email.text.rstrip().splitlines()[-2] != because


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [EmailKind.READING_REMINDER, EmailKind.FINAL_READING_REQUEST])
def test_every_register_asked_for_is_named_in_both_parts(kind: EmailKind, language: str) -> None:
    registers = ["electricity_normal", "electricity_offpeak", "feed_in_normal"]
    email = templates.render(kind, language, {**VALUES[kind], "registers": registers})  # type: ignore[arg-type]
    assert "electricity_normal" not in email.text + email.html  # phrased, never the code
    listed = [line for line in email.text.splitlines() if line.startswith("- ")]
    assert len(listed) == len(registers) == email.html.count("<li>")
    assert len(set(listed)) == len(registers)  # three registers, three names


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reading_confirmation_mentions_a_confirmed_unusual_value_and_a_final_reading(language: str) -> None:
    plain = templates.render(EmailKind.READING_CONFIRMATION, language, VALUES[EmailKind.READING_CONFIRMATION])  # type: ignore[arg-type]
    unusual = templates.render(
        EmailKind.READING_CONFIRMATION,
        language,
        {**VALUES[EmailKind.READING_CONFIRMATION], "unusual": True},  # type: ignore[arg-type]
    )
    final = templates.render(
        EmailKind.READING_CONFIRMATION,
        language,
        {**VALUES[EmailKind.READING_CONFIRMATION], "final": True},  # type: ignore[arg-type]
    )
    for variant in (unusual, final):
        assert len(variant.text.splitlines()) > len(plain.text.splitlines())
        assert variant.html.count("<p>") == plain.html.count("<p>") + 1
    assert unusual.text != final.text


def render(kind: EmailKind, language: str, **changes: object) -> RenderedEmail:
    return templates.render(kind, language, {**VALUES[kind], **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invoice_says_when_it_credits_another_or_is_partly_estimated(language: str) -> None:
    plain = render(EmailKind.INVOICE_ISSUED, language)
    credited_link = "https://portal.example.test/invoices/inv-0"
    credit = render(EmailKind.INVOICE_ISSUED, language, credited_link=credited_link)
    estimated = render(EmailKind.INVOICE_ISSUED, language, estimated=True)
    both = render(EmailKind.INVOICE_ISSUED, language, credited_link=credited_link, estimated=True)
    assert credited_link in credit.text.splitlines() and f'href="{credited_link}"' in credit.html
    assert credited_link not in plain.text + plain.html + estimated.text
    assert estimated.html.count("<p>") == plain.html.count("<p>") + 1
    for variant in (credit, estimated):
        assert len(variant.text.splitlines()) > len(plain.text.splitlines())
        assert variant.subject == plain.subject
    assert len(both.text.splitlines()) > len(credit.text.splitlines()) > len(plain.text.splitlines())


@pytest.mark.parametrize("language", LANGUAGES)
def test_money_back_has_no_due_date(language: str) -> None:
    due = render(EmailKind.INVOICE_ISSUED, language)
    refund = render(EmailKind.INVOICE_ISSUED, language, refund=True)
    assert "2026" in due.text and "2026" in due.html
    assert "2026" not in refund.text and "2026" not in refund.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_author_of_an_advance_change_has_its_own_wording(language: str) -> None:
    emails = {
        by: render(EmailKind.ADVANCE_CHANGED, language, changed_by=by)
        for by in ("customer", "operations", "billing")
    }
    assert len({email.text for email in emails.values()}) == 3
    assert emails["customer"].subject == emails["operations"].subject  # "your advance has changed"
    assert emails["billing"].subject != emails["customer"].subject  # information, not a change
    for email in emails.values():
        assert "€ 95,00" in email.subject and "€ 95,00" in email.text and "€ 95,00" in email.html
    # Only a change has something to compare with and earlier periods to leave alone.
    assert len(emails["billing"].text.splitlines()) < len(emails["customer"].text.splitlines())


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_advance_names_the_recommendation_and_a_zero_advance_is_no_amount(language: str) -> None:
    with_advice = render(EmailKind.ADVANCE_CHANGED, language, recommended_amount="€ 140,00")
    assert "€ 140,00" in with_advice.text and "€ 140,00" in with_advice.html
    stopped = render(EmailKind.ADVANCE_CHANGED, language, amount=None, previous_amount=None)
    assert "€" not in stopped.subject + stopped.text + stopped.html
    assert "2026" in stopped.subject and "2026" in stopped.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_billing_mode_is_named_and_explained(language: str) -> None:
    texts = set()
    for mode in ("monthly_advance", "quarterly", "on_reading"):
        email = render(EmailKind.BILLING_MODE_CHANGED, language, mode=mode, previous_mode="quarterly")
        for code in ("monthly_advance", "on_reading"):
            assert code not in email.subject + email.text + email.html  # phrased, never the code
        texts.add(email.text)
    assert len(texts) == 3


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_later_payment_reminder_is_firmer(language: str) -> None:
    first = render(EmailKind.PAYMENT_REMINDER, language)
    second = render(EmailKind.PAYMENT_REMINDER, language, step=2)
    third = render(EmailKind.PAYMENT_REMINDER, language, step=3)
    assert first.subject != second.subject == third.subject
    assert len(second.text) > len(first.text)  # adds what follows and whom to call
    for email in (first, second):
        assert "A-1" in email.subject
        for fact in ("A-1", "€ 5,00", "2026", "2027"):
            assert fact in email.text and fact in email.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_returned_debit_explains_known_reasons_only(language: str) -> None:
    general = render(EmailKind.PAYMENT_RETURNED, language)
    explained = {
        reason: render(EmailKind.PAYMENT_RETURNED, language, reason=reason)
        for reason in ("AC04", "AM04", "MD06", "MS02")
    }
    assert len({email.text for email in explained.values()} | {general.text}) == 5
    for reason, email in explained.items():
        assert reason not in email.text + email.html  # phrased, never the code
        assert len(email.text.splitlines()) == len(general.text.splitlines()) + 1
    assert "€ 5,00" in general.subject and "€ 5,00" in general.text


def test_an_unknown_reason_for_a_password_change_is_an_error_not_a_gap() -> None:
    values = {**VALUES[EmailKind.PASSWORD_CHANGED], "reason": "magic"}
    with pytest.raises(Exception, match="magic"):
        templates.render(EmailKind.PASSWORD_CHANGED, "en", values)


def test_languages_differ() -> None:
    subjects = {
        language: templates.render(
            EmailKind.READING_CONFIRMATION, language, VALUES[EmailKind.READING_CONFIRMATION]
        ).subject
        for language in LANGUAGES
    }
    assert len(set(subjects.values())) == len(LANGUAGES)


def test_a_missing_value_is_an_error_not_a_gap() -> None:
    with pytest.raises(Exception, match="expires_at"):
        templates.render(EmailKind.PASSWORD_RESET, "nl", {"link": LINK})
