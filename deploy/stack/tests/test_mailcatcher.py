import smtplib
import subprocess
import sys
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from portal_stack.mailcatcher import MailCatcher, MailCatcherClient
from portal_stack.ports import free_port, port_open
from portal_stack.processes import ManagedProcess


def send(port: int, to: str, subject: str, *, bcc: str | None = None, html: bool = False) -> None:
    message = EmailMessage()
    message["From"] = "Energie Portaal <noreply@portal.example>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(f"Hallo,\n\nUw code is 123456 ({subject}).\n")
    if html:
        message.add_alternative(f"<p>Uw code is <b>123456</b> ({subject})</p>", subtype="html")
        message.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf",
                               filename="factuur.pdf")  # fmt: skip
    recipients = [to] + ([bcc] if bcc else [])
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message, to_addrs=recipients)


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    with MailCatcher(tmp_path / "mail") as running:
        yield running


@pytest.fixture
def client(catcher: MailCatcher) -> Iterator[MailCatcherClient]:
    with catcher.client() as reader:
        yield reader


def test_a_sent_message_can_be_read_back(catcher: MailCatcher, client: MailCatcherClient) -> None:
    send(catcher.smtp_port, "klant@example.nl", "Wachtwoord herstellen", bcc="audit@example.nl")

    [summary] = client.list()
    mail = client.get(summary.id)

    assert mail.subject == "Wachtwoord herstellen"
    assert mail.sender == "Energie Portaal <noreply@portal.example>"
    assert mail.to == ["klant@example.nl", "audit@example.nl"]  # the envelope, Bcc included
    assert mail.text is not None and "123456" in mail.text
    assert mail.html is None
    assert mail.headers["To"] == "klant@example.nl"
    assert mail.received_at.endswith("+00:00")
    assert b"Subject: Wachtwoord herstellen" in client.raw(summary.id)


def test_html_parts_and_attachments_are_exposed(catcher: MailCatcher, client: MailCatcherClient) -> None:
    send(catcher.smtp_port, "klant@example.nl", "Nieuwe factuur", html=True)

    mail = client.wait_for(lambda m: m.subject == "Nieuwe factuur", timeout=5)

    assert mail.html is not None and "<b>123456</b>" in mail.html
    assert mail.attachments == [{"filename": "factuur.pdf", "content_type": "application/pdf", "size": 13}]


def test_wait_for_picks_the_matching_message_and_times_out_clearly(
    catcher: MailCatcher, client: MailCatcherClient
) -> None:
    send(catcher.smtp_port, "a@example.nl", "Eerste")
    send(catcher.smtp_port, "b@example.nl", "Tweede")

    assert client.wait_for(lambda m: "b@example.nl" in m.to).subject == "Tweede"
    with pytest.raises(TimeoutError, match="Eerste"):
        client.wait_for(lambda m: "c@example.nl" in m.to, timeout=0.3)


def test_the_web_page_lists_messages_escaped_and_delete_clears(
    catcher: MailCatcher, client: MailCatcherClient
) -> None:
    send(catcher.smtp_port, "klant@example.nl", "<script>x</script> Meterstand")

    page = httpx.get(catcher.url + "/")
    assert page.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt; Meterstand" in page.text
    assert "<script>x" not in page.text

    assert client.clear() == 1
    assert client.list() == []
    assert httpx.get(catcher.url + "/api/messages/nonsense").status_code == 404


def test_messages_and_unique_names_survive_a_restart(tmp_path: Path) -> None:
    folder = tmp_path / "mail"
    smtp_port, http_port = free_port(), free_port()
    for round_ in range(2):
        with MailCatcher(folder, smtp_port=smtp_port, http_port=http_port) as catcher:
            for n in range(3):
                send(catcher.smtp_port, "klant@example.nl", f"ronde {round_} bericht {n}")

    with MailCatcher(folder) as catcher, catcher.client() as client:
        subjects = [mail.subject for mail in client.list()]
    assert subjects == [f"ronde {r} bericht {n}" for r in range(2) for n in range(3)]
    assert len({path.name for path in folder.glob("*.eml")}) == 6
    assert not list(folder.glob(".incoming-*"))


def test_the_command_line_catcher_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    smtp_port, http_port = free_port(), free_port()
    process = ManagedProcess(
        "mailcatcher",
        [sys.executable, "-m", "portal_stack.mailcatcher", "--smtp-port", str(smtp_port),
         "--http-port", str(http_port), "--dir", str(tmp_path / "mail")],
        log_file=tmp_path / "mailcatcher.log",
        ready=lambda: port_open(http_port) and port_open(smtp_port),
        ready_timeout=15,
    )  # fmt: skip
    process.start_and_wait()
    try:
        send(smtp_port, "klant@example.nl", "via de CLI")
        with MailCatcherClient(f"http://127.0.0.1:{http_port}") as client:
            assert client.wait_for(timeout=5).subject == "via de CLI"
    finally:
        started = time.monotonic()
        assert process.stop() == 0
    assert time.monotonic() - started < 5
    assert "SIGTERM, stopping" in process.tail()


def test_the_module_help_runs() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "portal_stack.mailcatcher", "--help"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "--smtp-port" in completed.stdout
