"""Showing an email address without giving it away."""

from __future__ import annotations


def mask_email(address: str) -> str:
    """Keep the first character of the mailbox and the whole domain: j***@example.nl.

    Enough for the owner to recognise (or not) the address, too little for anyone else who
    reads the mail to write to it.
    """
    mailbox, at, domain = address.rpartition("@")
    if not at or not mailbox:
        raise ValueError("not an email address")
    return f"{mailbox[0]}***@{domain}"
