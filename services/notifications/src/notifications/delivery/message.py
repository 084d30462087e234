"""The MIME message of one delivery: text and HTML alternatives, a stable Message-ID and, for
newsletters, the one-click unsubscribe headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

MESSAGE_ID_DOMAIN = "portal.invalid"


def message_id(delivery_id: str) -> str:
    """The same for every attempt of one delivery, so a re-send after a crash between the
    relay's acceptance and our status update is recognisable as the same message."""
    return f"<{delivery_id}@{MESSAGE_ID_DOMAIN}>"


@dataclass(frozen=True)
class Outgoing:
    delivery_id: str
    sender: str
    recipient: str
    subject: str
    language: str
    text: str
    html: str
    composed_at: datetime
    list_unsubscribe: str | None = None  # newsletters: the one-click unsubscribe URL


def build_message(mail: Outgoing) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = mail.sender
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    # When the email was composed, not when this attempt runs: every attempt is identical.
    message["Date"] = format_datetime(mail.composed_at)
    message["Message-ID"] = message_id(mail.delivery_id)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    if mail.list_unsubscribe is not None:
        # RFC 8058: the mail client shows an unsubscribe button and POSTs this body to the URL;
        # no log-in, no page to click through.
        message["List-Unsubscribe"] = f"<{mail.list_unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # Quoted-printable keeps long lines (the reset link) intact for every reader: its soft
    # line breaks disappear on decoding, and the body stays 7-bit safe for any relay.
    message.set_content(mail.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(mail.html, subtype="html", charset="utf-8", cte="quoted-printable")
    # After the parts exist: turning the message multipart moves Content-* headers into them.
    message["Content-Language"] = mail.language
    # Not random, so every attempt is byte for byte the same message. "=_" cannot occur in
    # quoted-printable bodies ("=" is always encoded there), so the parts never collide.
    message.set_boundary(f"=_{mail.delivery_id}")
    return message
