"""The MIME message the sender hands to the relay."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

from notifications.delivery.message import Outgoing, build_message

LINK = "https://portal.example.test/reset-password?token=" + "A-b_9" * 12  # 110 characters


def outgoing() -> Outgoing:
    return Outgoing(
        delivery_id="3f1c1c2e-0000-4000-8000-000000000001",
        sender="Energy portal <no-reply@portal.invalid>",
        recipient="klant@example.nl",
        subject="Kies een nieuw wachtwoord",
        language="nl",
        text=f"Hallo,\n\n{LINK}\n\nGroet — één keer\n",
        html=f'<p><a href="{LINK}">{LINK}</a></p>',
        composed_at=dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC),
    )


def test_a_long_link_survives_transport_encoding() -> None:
    raw = build_message(outgoing()).as_bytes()
    assert max(len(line) for line in raw.splitlines()) <= 78  # safe for any relay
    parsed = message_from_bytes(raw, policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert LINK in text.splitlines()
    assert "één" in text


def test_every_attempt_is_the_same_message() -> None:
    first, second = build_message(outgoing()), build_message(outgoing())
    assert first["Message-ID"] == "<3f1c1c2e-0000-4000-8000-000000000001@portal.invalid>"
    assert first.as_bytes() == second.as_bytes()
    assert first["Date"] == "Sun, 01 Mar 2026 08:00:00 +0000"
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["Content-Language"] == "nl"
