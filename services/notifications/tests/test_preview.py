"""``python -m notifications preview``: any email in any language from sample data."""

from __future__ import annotations

import argparse

import pytest

from notifications import __main__ as cli
from notifications.domain.delivery import EmailKind
from notifications.preview import preview, preview_args
from notifications.samples import SAMPLE_NAME, sample_values


def main(argv: list[str]) -> int:
    """The preview command on its own: it needs no settings, database or broker."""
    parser = argparse.ArgumentParser(prog="preview")
    preview_args(parser)
    return preview(parser.parse_args(argv[1:]))


def test_the_command_is_part_of_the_service_cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No keys, database or broker configured: a person previewing templates needs none of them.
    for name in ("EVENT_SEALING_KEY", "NOTIFICATIONS_MAIL_SECRETS_PRIVATE_KEY", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["preview", "smart_meter_reconsent", "--language", "en", "--part", "subject"]) == 0
    assert capsys.readouterr().out.count("\n") == 1


def test_the_subject_then_the_plain_text_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "invoice_issued"]) == 0
    out = capsys.readouterr().out
    subject, blank, *body = out.splitlines()
    assert subject.startswith("Subject: Nieuw in je berichtenbox: jaarafrekening ")
    assert blank == ""
    assert body[0] == "Hallo,"  # Dutch unless asked, and no name unless given
    assert sample_values(EmailKind.INVOICE_ISSUED, "nl")["link"] in body
    assert "<html" not in out and out.endswith("\n")


def test_a_language_and_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "payment_received", "--language", "fr", "--name", SAMPLE_NAME]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Subject: Nous avons bien reçu votre paiement de 250,00 €\n")
    assert f"Bonjour {SAMPLE_NAME}," in out.splitlines()
    assert "250,00\u00a0€" in out  # formatted as French writes it, no-break space and all


def test_one_part_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "advance_changed", "--language", "de", "--part", "subject"]) == 0
    assert capsys.readouterr().out == "Ihr Abschlag wurde geändert: 95,00 € pro Monat ab dem 1. April 2026\n"

    assert main(["preview", "activation", "--language", "en", "--part", "html"]) == 0
    html = capsys.readouterr().out
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    assert "<style" not in html and 'class="button" ' in html and "style=" in html  # inlined
    assert "Subject:" not in html


def test_the_list_of_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "--list"]) == 0
    assert capsys.readouterr().out.splitlines() == [kind.value for kind in EmailKind]


def test_no_kind_named_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "preview --list" in captured.err


def test_an_unknown_kind_or_language_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as unknown_kind:
        main(["preview", "birthday"])
    assert unknown_kind.value.code == 2
    with pytest.raises(SystemExit) as unknown_language:
        main(["preview", "activation", "--language", "es"])
    assert unknown_language.value.code == 2
    assert capsys.readouterr().out == ""
