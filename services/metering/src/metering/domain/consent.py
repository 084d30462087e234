"""When remote (smart-meter) data of a contract may be stored and shown. Pure: no I/O."""

from __future__ import annotations

from metering.db.tables import CONSENT_GRANTED, SmartMeterConsent


def needs_consent(commodity: str, consent_required_for: frozenset[str]) -> bool:
    """Electricity and gas smart meters need the customer's consent; a heat network's meters
    are read by the supplier itself (settings.consent_required_for)."""
    return commodity in consent_required_for


def is_effective(consent: SmartMeterConsent | None, current_terms_version: int) -> bool:
    """Granted, and for the terms in force: after new terms, remote reading waits for a new
    consent (the old data stays hidden until then)."""
    return (
        consent is not None
        and consent.status == CONSENT_GRANTED
        and consent.terms_version == current_terms_version
    )
