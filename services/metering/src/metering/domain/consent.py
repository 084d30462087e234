"""When remote (smart-meter) data of a contract may be stored and shown. Pure: no I/O."""

from __future__ import annotations

from typing import Literal, Protocol

from metering.db.tables import CONSENT_GRANTED


class Consent(Protocol):
    """What the rules read of a consent (a SmartMeterConsent row, or the columns of one)."""

    @property
    def status(self) -> str: ...

    @property
    def terms_version(self) -> int: ...


def needs_consent(commodity: str, consent_required_for: frozenset[str]) -> bool:
    """Electricity and gas smart meters need the customer's consent; a heat network's meters
    are read by the supplier itself (settings.consent_required_for)."""
    return commodity in consent_required_for


def is_effective(consent: Consent | None, current_terms_version: int) -> bool:
    """Granted, and for the terms in force: after new terms, remote reading waits for a new
    consent (the old data stays hidden until then)."""
    return (
        consent is not None
        and consent.status == CONSENT_GRANTED
        and consent.terms_version == current_terms_version
    )


ConsentStatus = Literal["none", "granted", "revoked", "reconsent_needed"]


def status_of(consent: Consent | None, current_terms_version: int) -> ConsentStatus:
    """What the customer sees: never asked (none), granted for the terms in force, revoked, or
    granted for older terms (reconsent_needed: remote reading pauses until given again)."""
    if consent is None:
        return "none"
    if consent.status != CONSENT_GRANTED:
        return "revoked"
    return "granted" if consent.terms_version == current_terms_version else "reconsent_needed"
