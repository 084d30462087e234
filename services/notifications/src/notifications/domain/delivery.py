"""What a delivery is: one email for one event, and the states it goes through."""

from __future__ import annotations

import uuid
from enum import StrEnum

# Fixed for ever: delivery ids (and so Message-IDs) are derived from it.
_DELIVERY_NAMESPACE = uuid.UUID("5d0c9a3e-8f8b-4f35-9a43-6f1e0a7c2b11")


class EmailKind(StrEnum):
    """One kind per email the portal sends; also the template name."""

    PASSWORD_RESET = "password_reset"  # noqa: S105 - a template name, not a secret
    READING_CONFIRMATION = "reading_confirmation"
    INVOICE_ISSUED = "invoice_issued"
    ACCOUNT_LOCKED = "account_locked"
    ACTIVATION = "activation"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a template name, not a secret
    EMAIL_CHANGE_CONFIRMATION = "email_change_confirmation"  # to the new address: link and code
    EMAIL_CHANGE_NOTICE = "email_change_notice"  # to the old address: in case it was not them
    CONTRACT_LINKED = "contract_linked"
    PORTAL_ACCESS_REQUESTED = "portal_access_requested"
    PORTAL_ACCESS_APPROVED = "portal_access_approved"
    PORTAL_ACCESS_REFUSED = "portal_access_refused"
    CONTRACT_CONFIRMATION = "contract_confirmation"
    DOCUMENT_AVAILABLE = "document_available"
    RENEWAL_PROPOSAL = "renewal_proposal"
    UNILATERAL_CHANGE = "unilateral_change"
    CONTRACT_MOVED = "contract_moved"
    CONTRACT_TERMINATED = "contract_terminated"
    CONTRACT_WITHDRAWN = "contract_withdrawn"
    READING_REMINDER = "reading_reminder"
    FINAL_READING_REQUEST = "final_reading_request"
    SMART_METER_CONSENT_GRANTED = "smart_meter_consent_granted"
    SMART_METER_CONSENT_REVOKED = "smart_meter_consent_revoked"
    SMART_METER_RECONSENT = "smart_meter_reconsent"
    ADVANCE_CHANGED = "advance_changed"
    BILLING_MODE_CHANGED = "billing_mode_changed"
    PAYMENT_REMINDER = "payment_reminder"
    PAYMENT_RETURNED = "payment_returned"
    PAYMENT_RECEIVED = "payment_received"
    NEWSLETTER = "newsletter"  # marketing: only to accounts opted in to its topic


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # rendered and waiting for the sender (also between retries)
    SENT = "sent"  # the SMTP relay accepted it
    SKIPPED = "skipped"  # deliberately not sent; the row says why
    FAILED = "failed"  # given up after retries or refused for good; kept for operators


class SkipReason(StrEnum):
    """Why an event did not become an email (stable values, operators filter on them)."""

    # e.g. a reset link whose token is no longer valid, or a lock that has already ended
    EXPIRED = "expired-before-sending"
    # no longer recorded: such events are parked until an account is known (use_cases/parking.py);
    # kept for the rows written before
    NO_RECIPIENT = "no-recipient-known-for-customer"
    # a newer request of the same kind for the same account replaced this one (activation,
    # email change confirmation)
    SUPERSEDED = "superseded-by-newer-request"
    # a final termination fee and end date that equal those already mailed for the contract
    TERMINATION_UNCHANGED = "termination-as-already-mailed"
    # a provisional termination arriving after the final one was mailed for the contract
    TERMINATION_ALREADY_FINAL = "termination-already-final"
    # parked for want of an address longer than the parking window: the portal shows it anyway
    PARKED_TOO_LONG = "parked-too-long-before-an-account"


def delivery_id(event_id: str, kind: str) -> str:
    """The id (and Message-ID) of an event's email of one kind: the same however often the
    event arrives, so a redelivery queues nothing new and a re-send carries the same id."""
    return str(uuid.uuid5(_DELIVERY_NAMESPACE, f"{event_id}/{kind}"))
