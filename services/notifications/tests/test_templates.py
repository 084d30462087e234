"""Every email in every language renders, with the wording and escaping it should have."""

from __future__ import annotations

import pytest

from notifications.delivery.templates import EmailTemplates
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
    },
    EmailKind.INVOICE_ISSUED: {
        "kind": "final_settlement", "invoice_number": "F-1", "total": "€ 1,00",
        "due_date": "2026", "link": LINK,
    },
    EmailKind.PASSWORD_CHANGED: {"link": LINK, "changed_at": "2099", "reason": "settings"},
}  # fmt: skip
REASONS = ("reset", "settings", "legacy_migration")

templates = EmailTemplates()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", list(EmailKind))
def test_renders_with_the_link_alone_on_its_line(kind: EmailKind, language: str) -> None:
    email = templates.render(kind, language, VALUES[kind])  # type: ignore[arg-type]
    assert email.subject and "\n" not in email.subject
    assert LINK in email.text.splitlines()  # copyable as a whole, never wrapped
    assert f'<html lang="{language}">' in email.html
    assert f"<title>{email.subject}</title>" in email.html
    assert f'href="{LINK}"' in email.html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_activation_code_stands_alone_in_both_parts(language: str) -> None:
    email = templates.render(EmailKind.ACTIVATION, language, VALUES[EmailKind.ACTIVATION])  # type: ignore[arg-type]
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
