"""Sample values for every kind of email, shaped as its use case fills them and formatted in the
language asked for: what the preview command renders, and what the test renders every
template in every language with.

One plausible customer and moment for all of them, fixed so that a preview reads the same
every time. Where a use case leaves a value out (None or False), the sample takes the common
case; the templates' own tests cover the other branches.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from notifications.domain import links
from notifications.domain.addresses import mask_email
from notifications.domain.delivery import EmailKind
from notifications.domain.locale import (
    format_date,
    format_datetime,
    format_money,
    format_postcode,
    format_quantity,
)
from portal_schemas.types import Language

SAMPLE_NAME = "Sanne de Vries"
SAMPLE_PORTAL_URL = "https://mijn.energie.example"
SAMPLE_ZONE = ZoneInfo("Europe/Amsterdam")

_TOKEN = "q3Vt8rXo0bWk5YzN1sL7eHfJc2DgA9mPiTuE4nQyR6w"  # noqa: S105 - the shape of a link token, no secret
_CODE = "042917"
_CONTRACT_ID = "6f1c2a9e-3b7d-4e0a-9c58-2d41f7b3e8a6"
_INVOICE_ID = "b2e4d6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b"
_DOCUMENT_ID = "9d8c7b6a-5f4e-4d3c-b2a1-0f9e8d7c6b5a"
_CONTRACT_NUMBER = "300412587"
# A Monday morning in March, Amsterdam winter time (09:15 UTC is 10:15 on the clock).
_NOW = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
_TODAY = date(2026, 3, 2)

Values = dict[str, Any]


def _moment(moment: datetime, language: Language) -> str:
    return format_datetime(moment, SAMPLE_ZONE, language)


def _day(day: date, language: Language) -> str:
    return format_date(day, language)


def _money(amount: str, language: Language) -> str:
    return format_money(Decimal(amount), language)


def _password_reset(language: Language) -> Values:
    return {
        "link": links.password_reset_link(SAMPLE_PORTAL_URL, _TOKEN),
        "expires_at": _moment(_NOW + timedelta(hours=24), language),
        "code": _CODE,
        "code_expires_at": _moment(_NOW + timedelta(minutes=15), language),
    }


def _reading_confirmation(language: Language) -> Values:
    return {
        "register": "electricity_normal",
        "value": format_quantity(Decimal("12845.306"), language),
        "unit": "kWh",
        "read_on": _day(_TODAY, language),
        "link": links.readings_link(SAMPLE_PORTAL_URL),
        "unusual": False,
        "final": False,
    }


def _invoice_issued(language: Language) -> Values:
    return {
        "kind": "annual_settlement",
        "invoice_number": "J2026-000318",
        "total": _money("184.37", language),
        "refund": False,
        "due_date": _day(_TODAY + timedelta(days=14), language),
        "link": links.invoice_link(SAMPLE_PORTAL_URL, _INVOICE_ID),
        "credited_link": None,
        "estimated": False,
    }


def _account_locked(language: Language) -> Values:
    return {
        "locked_until": _moment(_NOW + timedelta(minutes=30), language),
        "link": links.forgot_password_link(SAMPLE_PORTAL_URL),
    }


def _activation(language: Language) -> Values:
    return {
        "link": links.activation_link(SAMPLE_PORTAL_URL, _TOKEN),
        "code": _CODE,
        "legacy_migration": False,  # True: an account of the old portal moving over
        "expires_at": _moment(_NOW + timedelta(hours=24), language),
    }


def _password_changed(language: Language) -> Values:
    return {
        "changed_at": _moment(_NOW, language),
        "reason": "settings",
        "link": links.forgot_password_link(SAMPLE_PORTAL_URL),
    }


def _email_change_confirmation(language: Language) -> Values:
    return {
        "link": links.confirm_email_link(SAMPLE_PORTAL_URL, _TOKEN),
        "code": _CODE,
        "expires_at": _moment(_NOW + timedelta(hours=24), language),
    }


def _email_change_notice(language: Language) -> Values:
    return {
        "new_email": mask_email("sanne.devries@example.nl"),
        "requested_at": _moment(_NOW, language),
        "link": links.forgot_password_link(SAMPLE_PORTAL_URL),
    }


def _contract_linked(language: Language) -> Values:
    return {
        "contract_number": _CONTRACT_NUMBER,
        "role": "holder",
        "link": links.contracts_link(SAMPLE_PORTAL_URL),
    }


def _portal_access_requested(language: Language) -> Values:
    return {"name": SAMPLE_NAME, "customer_number": "100254871"}


def _portal_access_approved(language: Language) -> Values:
    return {
        "link": links.accept_invitation_link(SAMPLE_PORTAL_URL, _TOKEN),
        "expires_at": _moment(_NOW + timedelta(days=7), language),
    }


def _portal_access_refused(language: Language) -> Values:
    return {"reason": "details_do_not_match", "link": links.register_link(SAMPLE_PORTAL_URL)}


def _contract_confirmation(language: Language) -> Values:
    return {
        "contract_number": _CONTRACT_NUMBER,
        "commodity": "electricity",
        "product": "VAST-3J",
        "start_date": _day(date(2026, 4, 1), language),
        "withdrawal_until": _day(_TODAY + timedelta(days=14), language),
        "link": links.contracts_link(SAMPLE_PORTAL_URL),
    }


_DOCUMENT_TITLES: dict[Language, str] = {
    "nl": "Tarievenblad Vast 3 jaar, april 2026",
    "en": "Tariff sheet Fixed 3 years, April 2026",
    "fr": "Fiche tarifaire Fixe 3 ans, avril 2026",
    "de": "Preisblatt Fest 3 Jahre, April 2026",
}


def _document_available(language: Language) -> Values:
    return {
        "document_kind": "tariff_sheet",
        "title": _DOCUMENT_TITLES[language],
        "link": links.document_link(SAMPLE_PORTAL_URL, _DOCUMENT_ID),
    }


def _renewal_proposal(language: Language) -> Values:
    return {
        "contract_number": _CONTRACT_NUMBER,
        "commodity": "gas",
        "product": "VAST-1J",
        "fixed_term_end": _day(date(2026, 6, 30), language),
        "link": links.renewal_link(SAMPLE_PORTAL_URL, _CONTRACT_ID),
    }


# Written by operations in the customer's language, line breaks kept.
_CHANGE_DESCRIPTIONS: dict[Language, str] = {
    "nl": "Het vastrecht voor stroom gaat van € 6,25 naar € 6,95 per maand.\n"
    "De leveringstarieven blijven gelijk.",
    "en": "The standing charge for electricity goes from €6.25 to €6.95 a month.\n"
    "The supply rates stay the same.",
    "fr": "L'abonnement électricité passe de 6,25 € à 6,95 € par mois.\n"
    "Les tarifs de fourniture restent inchangés.",
    "de": "Der Grundpreis für Strom steigt von 6,25 € auf 6,95 € im Monat.\n"
    "Die Arbeitspreise bleiben gleich.",
}


def _unilateral_change(language: Language) -> Values:
    return {
        "change_kind": "price",
        "description": _CHANGE_DESCRIPTIONS[language],
        "effective_date": _day(date(2026, 5, 1), language),
        "link": links.contracts_link(SAMPLE_PORTAL_URL),
    }


def _contract_moved(language: Language) -> Values:
    return {
        "old_postcode": format_postcode("3511AB"),
        "new_postcode": format_postcode("6811CD"),
        "move_out_date": _day(date(2026, 3, 31), language),
        "move_in_date": _day(date(2026, 4, 1), language),
        "link": links.contracts_link(SAMPLE_PORTAL_URL),
    }


def _contract_terminated(language: Language) -> Values:
    return {
        "end_date": _day(date(2026, 4, 30), language),
        "fee": _money("125.00", language),
        "fee_excl_vat": _money("103.31", language),
        "is_final": False,
        "link": links.contracts_link(SAMPLE_PORTAL_URL),
    }


def _contract_withdrawn(language: Language) -> Values:
    return {
        "withdrawn_on": _day(_TODAY, language),
        "last_supply_day": None,  # withdrawn before supply started, the common case
        "link": links.contracts_link(SAMPLE_PORTAL_URL),
    }


def _reading_reminder(language: Language) -> Values:
    return {
        "registers": ["electricity_normal", "electricity_offpeak", "gas"],
        "due_on": _day(_TODAY + timedelta(days=7), language),
        "last_read_on": _day(date(2025, 3, 3), language),
        "link": links.submit_reading_link(SAMPLE_PORTAL_URL, _CONTRACT_ID),
    }


def _final_reading_request(language: Language) -> Values:
    return {
        "registers": ["electricity_normal", "electricity_offpeak", "gas"],
        "end_date": _day(date(2026, 4, 30), language),
        "link": links.submit_reading_link(SAMPLE_PORTAL_URL, _CONTRACT_ID),
    }


def _smart_meter_consent_granted(language: Language) -> Values:
    return {
        "granted_on": _day(_TODAY, language),
        "data_expected_by": _day(_TODAY + timedelta(days=7), language),
        "link": links.consumption_link(SAMPLE_PORTAL_URL, _CONTRACT_ID),
    }


def _smart_meter_consent_revoked(language: Language) -> Values:
    return {
        "revoked_on": _day(_TODAY, language),
        "link": links.smart_meter_consent_link(SAMPLE_PORTAL_URL, _CONTRACT_ID),
    }


def _smart_meter_reconsent(language: Language) -> Values:
    return {"link": links.smart_meter_consent_link(SAMPLE_PORTAL_URL, _CONTRACT_ID)}


def _advance_changed(language: Language) -> Values:
    return {
        "changed_by": "customer",
        "amount": _money("95.00", language),
        "previous_amount": _money("120.00", language),
        "recommended_amount": _money("110.00", language),
        "effective_from": _day(date(2026, 4, 1), language),
        "link": links.billing_link(SAMPLE_PORTAL_URL, _CONTRACT_ID),
    }


def _billing_mode_changed(language: Language) -> Values:
    return {
        "mode": "quarterly",
        "previous_mode": "monthly_advance",
        "effective_from": _day(date(2026, 4, 1), language),
        "link": links.billing_link(SAMPLE_PORTAL_URL, _CONTRACT_ID),
    }


def _payment_reminder(language: Language) -> Values:
    return {
        "step": 1,
        "invoice_number": "A2026-004127",
        "open_amount": _money("1087.65", language),
        "due_date": _day(date(2026, 2, 16), language),
        "pay_by": _day(_TODAY + timedelta(days=14), language),
        "link": links.invoice_link(SAMPLE_PORTAL_URL, _INVOICE_ID),
    }


def _payment_returned(language: Language) -> Values:
    return {
        "amount": _money("95.00", language),
        "returned_on": _day(_TODAY, language),
        "reason": "AM04",
        "link": links.invoices_link(SAMPLE_PORTAL_URL),
    }


def _payment_received(language: Language) -> Values:
    return {
        "amount": _money("250.00", language),
        "received_on": _day(_TODAY, language),
        "channel": "transfer",
        "credit": _money("12.45", language),
        "link": links.invoices_link(SAMPLE_PORTAL_URL),
    }


# A campaign as operations write it: a subject line and plain-text paragraphs per language.
_NEWSLETTERS: dict[Language, tuple[str, list[str]]] = {
    "nl": (
        "Vijf manieren om deze winter energie te besparen",
        [
            "De dagen worden weer langer, maar de verwarming staat nog volop aan. "
            "Met een paar kleine aanpassingen merk je het op je jaarafrekening.",
            "Zet de thermostaat 's nachts een graad of drie lager en sluit 's avonds de gordijnen.\n"
            "Ontlucht je radiatoren: een radiator die borrelt, verwarmt slecht.",
            "In het portaal zie je per maand hoeveel je verbruikt. Zo merk je meteen wat het oplevert.",
        ],
    ),
    "en": (
        "Five ways to save energy this winter",
        [
            "The days are getting longer, but the heating is still working hard. "
            "A few small changes show on your annual statement.",
            "Turn the thermostat down three degrees at night and close the curtains in the evening.\n"
            "Bleed your radiators: a radiator that gurgles heats poorly.",
            "The portal shows what you use each month, so you see straight away what it saves.",
        ],
    ),
    "fr": (
        "Cinq façons d'économiser l'énergie cet hiver",
        [
            "Les jours rallongent, mais le chauffage tourne encore à plein régime. "
            "Quelques petits gestes se voient sur votre décompte annuel.",
            "Baissez le thermostat de trois degrés la nuit et fermez les rideaux le soir.\n"
            "Purgez vos radiateurs : un radiateur qui gargouille chauffe mal.",
            "Le portail montre votre consommation de chaque mois : vous voyez tout de suite "
            "ce que vous économisez.",
        ],
    ),
    "de": (
        "Fünf Wege, in diesem Winter Energie zu sparen",
        [
            "Die Tage werden länger, aber die Heizung läuft noch auf Hochtouren. "
            "Ein paar kleine Änderungen sehen Sie in Ihrer Jahresabrechnung.",
            "Drehen Sie das Thermostat nachts um drei Grad herunter und schließen Sie abends die "
            "Vorhänge.\nEntlüften Sie Ihre Heizkörper: Ein Heizkörper, der gluckert, heizt schlecht.",
            "Im Portal sehen Sie Ihren Verbrauch pro Monat und damit sofort, was es bringt.",
        ],
    ),
}


def _newsletter(language: Language) -> Values:
    subject_line, paragraphs = _NEWSLETTERS[language]
    return {
        "newsletter": "energy_saving_advice",
        "subject_line": subject_line,
        "paragraphs": list(paragraphs),
        "unsubscribe_link": links.unsubscribe_page_link(SAMPLE_PORTAL_URL, _TOKEN),
        "preferences_link": links.preferences_link(SAMPLE_PORTAL_URL),
    }


_SAMPLES: dict[EmailKind, Callable[[Language], Values]] = {
    EmailKind.PASSWORD_RESET: _password_reset,
    EmailKind.READING_CONFIRMATION: _reading_confirmation,
    EmailKind.INVOICE_ISSUED: _invoice_issued,
    EmailKind.ACCOUNT_LOCKED: _account_locked,
    EmailKind.ACTIVATION: _activation,
    EmailKind.PASSWORD_CHANGED: _password_changed,
    EmailKind.EMAIL_CHANGE_CONFIRMATION: _email_change_confirmation,
    EmailKind.EMAIL_CHANGE_NOTICE: _email_change_notice,
    EmailKind.CONTRACT_LINKED: _contract_linked,
    EmailKind.PORTAL_ACCESS_REQUESTED: _portal_access_requested,
    EmailKind.PORTAL_ACCESS_APPROVED: _portal_access_approved,
    EmailKind.PORTAL_ACCESS_REFUSED: _portal_access_refused,
    EmailKind.CONTRACT_CONFIRMATION: _contract_confirmation,
    EmailKind.DOCUMENT_AVAILABLE: _document_available,
    EmailKind.RENEWAL_PROPOSAL: _renewal_proposal,
    EmailKind.UNILATERAL_CHANGE: _unilateral_change,
    EmailKind.CONTRACT_MOVED: _contract_moved,
    EmailKind.CONTRACT_TERMINATED: _contract_terminated,
    EmailKind.CONTRACT_WITHDRAWN: _contract_withdrawn,
    EmailKind.READING_REMINDER: _reading_reminder,
    EmailKind.FINAL_READING_REQUEST: _final_reading_request,
    EmailKind.SMART_METER_CONSENT_GRANTED: _smart_meter_consent_granted,
    EmailKind.SMART_METER_CONSENT_REVOKED: _smart_meter_consent_revoked,
    EmailKind.SMART_METER_RECONSENT: _smart_meter_reconsent,
    EmailKind.ADVANCE_CHANGED: _advance_changed,
    EmailKind.BILLING_MODE_CHANGED: _billing_mode_changed,
    EmailKind.PAYMENT_REMINDER: _payment_reminder,
    EmailKind.PAYMENT_RETURNED: _payment_returned,
    EmailKind.PAYMENT_RECEIVED: _payment_received,
    EmailKind.NEWSLETTER: _newsletter,
}


def sample_values(kind: EmailKind, language: Language) -> dict[str, Any]:
    """A fresh set of the values the templates of ``kind`` expect, written in ``language``."""
    return _SAMPLES[kind](language)
