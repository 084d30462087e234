"""Every email in every language renders, with the wording and escaping it should have."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from importlib.resources import files
from typing import Any

import pytest
from jinja2 import meta

from notifications.delivery.templates import EmailTemplates, RenderedEmail
from notifications.domain.delivery import EmailKind
from notifications.domain.locale import LANGUAGES
from notifications.samples import SAMPLE_NAME, sample_values

LINK = "https://portal.example.test/reset-password?token=" + "x" * 43  # longer than 78 chars
REASONS = ("reset", "settings", "legacy_migration")
ROLES = ("holder", "co_holder")
REFUSALS = ("not_a_customer", "details_do_not_match", "business_customer", "other")
# Only an acknowledgement: nothing to click until operations have answered.
WITHOUT_LINK = {EmailKind.PORTAL_ACCESS_REQUESTED}
# A welcome to a new address and the answer to an access request: no customer to name yet.
WITHOUT_GREETING = {EmailKind.ACTIVATION, EmailKind.PORTAL_ACCESS_REQUESTED}
# A newsletter's one link in the text is in its footer: how to stop it.
LINK_VALUE = {EmailKind.NEWSLETTER: "unsubscribe_link"}
TEMPLATES = files("notifications") / "templates"
MACROS = set(re.findall(r"{% macro (\w+)\(", (TEMPLATES / "macros.html").read_text()))
# What the renderer gives every template besides the use case's values.
GIVEN = {"labels", "greeting", "language", "subject"}
UNFILLED = ("{{", "}}", "{%", "%}", "{#", "#}", "None", "Undefined")

templates = EmailTemplates()


def values(kind: EmailKind, language: str, **changes: Any) -> dict[str, Any]:
    """The kind's sample values in that language, with ``changes`` on top."""
    return {**sample_values(kind, language), **changes}  # type: ignore[arg-type]


def render(kind: EmailKind, language: str, **changes: Any) -> RenderedEmail:
    return templates.render(kind, language, values(kind, language, **changes))  # type: ignore[arg-type]


def one_line(text: str) -> str:
    """As the subject shows a value: the renderer joins the subject's words with single spaces."""
    return " ".join(text.split())


class _Elements(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(html)
    return parser.tags


def test_every_kind_has_sample_values_in_every_language() -> None:
    for kind in EmailKind:
        for language in LANGUAGES:
            sample = sample_values(kind, language)
            assert sample and sample is not sample_values(kind, language)  # a fresh dict each time


@pytest.mark.parametrize("kind", list(EmailKind))
def test_the_samples_carry_exactly_the_values_the_templates_use(kind: EmailKind) -> None:
    used: set[str] = set()
    for language in LANGUAGES:
        for extension in ("txt", "html"):
            source = (TEMPLATES / language / f"{kind.value}.{extension}").read_text()
            own = set(re.findall(r"{%-? set (\w+)", source))  # set at the top, used in a block
            used |= meta.find_undeclared_variables(templates._env.parse(source)) - own
    assert set(sample_values(kind, "nl")) == used - MACROS - GIVEN


@pytest.mark.parametrize("name", [None, SAMPLE_NAME], ids=["no-name", "name"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(EmailKind))
def test_every_email_renders_completely_in_every_language(
    kind: EmailKind, language: str, name: str | None
) -> None:
    # StrictUndefined: a value a template needs and does not get is an error here.
    email = templates.render(kind, language, sample_values(kind, language), recipient_name=name)  # type: ignore[arg-type]
    assert email.subject.strip() and "\n" not in email.subject
    for part in (email.subject, email.text, email.html):
        for leftover in UNFILLED:
            assert leftover not in part, f"{leftover!r} in {kind.value} ({language})"
    if name is not None and kind not in WITHOUT_GREETING:
        assert name in email.text and name in email.html
    # The stylesheet is applied and gone: every element it names carries its own style.
    assert "<style" not in email.html
    styled = [(tag, attrs) for tag, attrs in elements(email.html) if "class" in attrs]
    assert styled and all(attrs.get("style") for _, attrs in styled)
    assert any(tag == "body" for tag, _ in styled)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(EmailKind))
def test_renders_with_the_link_alone_on_its_line(kind: EmailKind, language: str) -> None:
    key = LINK_VALUE.get(kind, "link")
    email = templates.render(kind, language, values(kind, language, **{key: LINK}))  # type: ignore[arg-type]
    assert email.subject and "\n" not in email.subject
    if kind in WITHOUT_LINK:
        assert "http" not in email.text and "<a " not in email.html
        return
    assert LINK in email.text.splitlines()  # copyable as a whole, never wrapped
    assert f'<html lang="{language}">' in email.html
    assert f"<title>{email.subject}</title>" in email.html
    assert f'href="{LINK}"' in email.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_value_that_looks_like_markup_stays_text_in_html(language: str) -> None:
    email = templates.render(
        EmailKind.UNILATERAL_CHANGE,
        language,  # type: ignore[arg-type]
        values(EmailKind.UNILATERAL_CHANGE, language, description='<b onclick="x()">& more</b>'),
        recipient_name="<script>alert(1)</script>",
    )
    assert "<script>" not in email.html and "<b " not in email.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.html
    assert '&lt;b onclick="x()"&gt;&amp; more&lt;/b&gt;' in email.html
    assert '<b onclick="x()">& more</b>' in email.text  # plain text is not escaped


@pytest.mark.parametrize("language", LANGUAGES)
def test_amounts_keep_their_no_break_spaces_in_html(language: str) -> None:
    email = render(EmailKind.PAYMENT_RETURNED, language)
    amount = sample_values(EmailKind.PAYMENT_RETURNED, language)["amount"]  # type: ignore[arg-type]
    assert amount in email.text and amount in email.html  # the same characters in both parts
    assert "&nbsp;" not in email.html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [EmailKind.ACTIVATION, EmailKind.EMAIL_CHANGE_CONFIRMATION])
def test_the_code_stands_alone_in_both_parts(kind: EmailKind, language: str) -> None:
    email = render(kind, language, code="042917")
    assert "042917" in email.text.splitlines()  # leading zero kept, nothing around it
    assert ">042917</p>" in email.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_reason_for_a_password_change_has_its_own_sentence(language: str) -> None:
    bodies = {}
    for reason in REASONS:
        email = render(EmailKind.PASSWORD_CHANGED, language, reason=reason, link=LINK)
        assert LINK in email.text.splitlines()
        assert f'href="{LINK}"' in email.html
        assert "legacy_migration" not in email.text + email.html  # phrased, never the code
        bodies[reason] = email.text
    assert len(set(bodies.values())) == len(REASONS)  # three reasons, three wordings


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_contract_role_has_its_own_wording(language: str) -> None:
    texts = set()
    for role in ROLES:
        email = render(EmailKind.CONTRACT_LINKED, language, role=role, contract_number="123456789")
        assert "123456789" in email.subject and "123456789" in email.html
        assert "co_holder" not in email.text + email.html  # phrased, never the code
        texts.add(email.text)
    assert len(texts) == len(ROLES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_refusal_has_its_own_reason_and_way_forward(language: str) -> None:
    texts = {}
    for reason in REFUSALS:
        email = render(EmailKind.PORTAL_ACCESS_REFUSED, language, reason=reason, link=LINK)
        assert reason not in email.text + email.html
        # Registering with an invoice's details is no way in for a business customer.
        assert (LINK in email.text.splitlines()) == (reason != "business_customer")
        assert (f'href="{LINK}"' in email.html) == (reason != "business_customer")
        texts[reason] = email.text
    assert len(set(texts.values())) == len(REFUSALS)


@pytest.mark.parametrize("kind", [EmailKind.PORTAL_ACCESS_REQUESTED, EmailKind.PORTAL_ACCESS_REFUSED])
def test_mail_to_someone_without_an_account_does_not_claim_they_have_one(kind: EmailKind) -> None:
    for language in LANGUAGES:
        email = render(kind, language)
        account_holders = render(EmailKind.ACTIVATION, language)
        because = account_holders.text.rstrip().splitlines()[-2]  # "... because you have an account ..."
        assert because not in email.text and because not in email.html
        assert email.text.rstrip().splitlines()[-2] != because


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", [EmailKind.READING_REMINDER, EmailKind.FINAL_READING_REQUEST])
def test_every_register_asked_for_is_named_in_both_parts(kind: EmailKind, language: str) -> None:
    registers = ["electricity_normal", "electricity_offpeak", "feed_in_normal"]
    email = render(kind, language, registers=registers)
    assert "electricity_normal" not in email.text + email.html  # phrased, never the code
    listed = [line for line in email.text.splitlines() if line.startswith("- ")]
    assert len(listed) == len(registers) == email.html.count("<li>")
    assert len(set(listed)) == len(registers)  # three registers, three names


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reading_confirmation_mentions_a_confirmed_unusual_value_and_a_final_reading(language: str) -> None:
    plain = render(EmailKind.READING_CONFIRMATION, language, unusual=False, final=False)
    unusual = render(EmailKind.READING_CONFIRMATION, language, unusual=True, final=False)
    final = render(EmailKind.READING_CONFIRMATION, language, unusual=False, final=True)
    for variant in (unusual, final):
        assert len(variant.text.splitlines()) > len(plain.text.splitlines())
        assert variant.html.count("<p>") == plain.html.count("<p>") + 1
    assert unusual.text != final.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_invoice_says_when_it_credits_another_or_is_partly_estimated(language: str) -> None:
    plain = render(EmailKind.INVOICE_ISSUED, language, credited_link=None, estimated=False)
    credited_link = "https://portal.example.test/invoices/inv-0"
    credit = render(EmailKind.INVOICE_ISSUED, language, credited_link=credited_link, estimated=False)
    estimated = render(EmailKind.INVOICE_ISSUED, language, credited_link=None, estimated=True)
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
    due_date = sample_values(EmailKind.INVOICE_ISSUED, language)["due_date"]  # type: ignore[arg-type]
    due = render(EmailKind.INVOICE_ISSUED, language, refund=False)
    refund = render(EmailKind.INVOICE_ISSUED, language, refund=True)
    assert due_date in due.text and due_date in due.html
    assert due_date not in refund.text and due_date not in refund.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_author_of_an_advance_change_has_its_own_wording(language: str) -> None:
    amount = sample_values(EmailKind.ADVANCE_CHANGED, language)["amount"]  # type: ignore[arg-type]
    emails = {
        by: render(EmailKind.ADVANCE_CHANGED, language, changed_by=by)
        for by in ("customer", "operations", "billing")
    }
    assert len({email.text for email in emails.values()}) == 3
    assert emails["customer"].subject == emails["operations"].subject  # "your advance has changed"
    assert emails["billing"].subject != emails["customer"].subject  # information, not a change
    for email in emails.values():
        assert one_line(amount) in email.subject and amount in email.text and amount in email.html
    # Only a change has something to compare with and earlier periods to leave alone.
    assert len(emails["billing"].text.splitlines()) < len(emails["customer"].text.splitlines())


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_advance_names_the_recommendation_and_a_zero_advance_is_no_amount(language: str) -> None:
    with_advice = render(EmailKind.ADVANCE_CHANGED, language, recommended_amount="€ 140,00")
    assert "€ 140,00" in with_advice.text and "€ 140,00" in with_advice.html
    stopped = render(
        EmailKind.ADVANCE_CHANGED, language, amount=None, previous_amount=None, recommended_amount=None
    )
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
    sample = sample_values(EmailKind.PAYMENT_REMINDER, language)  # type: ignore[arg-type]
    first = render(EmailKind.PAYMENT_REMINDER, language, step=1)
    second = render(EmailKind.PAYMENT_REMINDER, language, step=2)
    third = render(EmailKind.PAYMENT_REMINDER, language, step=3)
    assert first.subject != second.subject == third.subject
    assert len(second.text) > len(first.text)  # adds what follows and whom to call
    for email in (first, second):
        assert sample["invoice_number"] in email.subject
        for fact in ("invoice_number", "open_amount", "due_date", "pay_by"):
            assert sample[fact] in email.text and sample[fact] in email.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_returned_debit_explains_known_reasons_only(language: str) -> None:
    amount = sample_values(EmailKind.PAYMENT_RETURNED, language)["amount"]  # type: ignore[arg-type]
    general = render(EmailKind.PAYMENT_RETURNED, language, reason=None)
    explained = {
        reason: render(EmailKind.PAYMENT_RETURNED, language, reason=reason)
        for reason in ("AC04", "AM04", "MD06", "MS02")
    }
    assert len({email.text for email in explained.values()} | {general.text}) == 5
    for reason, email in explained.items():
        assert reason not in email.text + email.html  # phrased, never the code
        assert len(email.text.splitlines()) == len(general.text.splitlines()) + 1
    assert one_line(amount) in general.subject and amount in general.text


def test_an_unknown_reason_for_a_password_change_is_an_error_not_a_gap() -> None:
    with pytest.raises(Exception, match="magic"):
        render(EmailKind.PASSWORD_CHANGED, "en", reason="magic")


def test_languages_differ() -> None:
    subjects = {language: render(EmailKind.READING_CONFIRMATION, language).subject for language in LANGUAGES}
    assert len(set(subjects.values())) == len(LANGUAGES)


def test_a_missing_value_is_an_error_not_a_gap() -> None:
    with pytest.raises(Exception, match="expires_at"):
        templates.render(EmailKind.PASSWORD_RESET, "nl", {"link": LINK})
