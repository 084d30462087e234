"""Links into the portal's web front end that emails carry; all front-end paths live here,
and the one API address a mail client calls itself (one-click unsubscribe)."""

from __future__ import annotations

from urllib.parse import quote


def _base(public_url: str) -> str:
    return public_url.rstrip("/")


def _contract_page(public_url: str, contract_id: str, page: str) -> str:
    return f"{contracts_link(public_url)}/{quote(contract_id, safe='')}/{page}"


def password_reset_link(public_url: str, token: str) -> str:
    return f"{_base(public_url)}/reset-password?token={quote(token, safe='')}"


def activation_link(public_url: str, token: str) -> str:
    return f"{_base(public_url)}/activate?token={quote(token, safe='')}"


def forgot_password_link(public_url: str) -> str:
    return f"{_base(public_url)}/forgot-password"


def invoice_link(public_url: str, invoice_id: str) -> str:
    return f"{invoices_link(public_url)}/{quote(invoice_id, safe='')}"


def invoices_link(public_url: str) -> str:
    return f"{_base(public_url)}/invoices"


def billing_link(public_url: str, contract_id: str) -> str:
    """The contract's billing page: its monthly advance and billing mode."""
    return _contract_page(public_url, contract_id, "billing")


def readings_link(public_url: str) -> str:
    return f"{_base(public_url)}/readings"


def submit_reading_link(public_url: str, contract_id: str) -> str:
    return _contract_page(public_url, contract_id, "readings/new")


def smart_meter_consent_link(public_url: str, contract_id: str) -> str:
    return _contract_page(public_url, contract_id, "smart-meter-consent")


def consumption_link(public_url: str, contract_id: str) -> str:
    return _contract_page(public_url, contract_id, "consumption")


def confirm_email_link(public_url: str, token: str) -> str:
    return f"{_base(public_url)}/confirm-email?token={quote(token, safe='')}"


def contracts_link(public_url: str) -> str:
    return f"{_base(public_url)}/contracts"


def document_link(public_url: str, document_id: str) -> str:
    return f"{_base(public_url)}/documents/{quote(document_id, safe='')}"


def renewal_link(public_url: str, contract_id: str) -> str:
    return _contract_page(public_url, contract_id, "renewal")


def accept_invitation_link(public_url: str, token: str) -> str:
    return f"{_base(public_url)}/accept-invitation?token={quote(token, safe='')}"


def register_link(public_url: str) -> str:
    return f"{_base(public_url)}/register"


def preferences_link(public_url: str) -> str:
    """The account's settings page where the newsletters are switched on and off."""
    return f"{_base(public_url)}/preferences"


def unsubscribe_page_link(public_url: str, token: str) -> str:
    """The front end's page that confirms a newsletter's unsubscribe (a click opens it with a
    GET, which must change nothing: link scanners follow links too)."""
    return f"{_base(public_url)}/unsubscribe?token={quote(token, safe='')}"


def one_click_unsubscribe_url(api_url: str, token: str) -> str:
    """The List-Unsubscribe address (RFC 8058): mail clients POST to it, through the gateway."""
    return f"{_base(api_url)}/notifications/v1/unsubscribe/{quote(token, safe='')}"
