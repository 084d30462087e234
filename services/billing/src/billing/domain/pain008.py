"""A SEPA direct-debit file (pain.008.001.02, the CORE scheme) from the debits of one run.

sepaxml writes the XML and checks it against the pain.008.001.02 XSD it ships before handing
it out, so a file that leaves here is valid; ``validate`` runs the same check on any file.
Amounts go to sepaxml in whole cents (never floats). Debits are grouped by sequence type
(FRST, RCUR): one payment information block each, all on the same collection date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sepaxml import SepaDD
from sepaxml.validation import ValidationError, try_valid_xml

from billing.domain.direct_debit import SequenceType

SCHEMA = "pain.008.001.02"


class Pain008Invalid(Exception):
    pass


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str
    creditor_id: str


@dataclass(frozen=True)
class Debit:
    end_to_end_id: str
    amount: Decimal  # euros, above zero, whole cents
    debtor_name: str
    debtor_iban: str
    mandate_reference: str
    mandate_signed_on: date
    sequence_type: SequenceType
    description: str  # remittance information on the debtor's statement (max 140)


@dataclass(frozen=True)
class Pain008File:
    message_id: str
    content: bytes
    count: int
    total: Decimal


def cents(amount: Decimal) -> int:
    if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"a debit is a positive amount in whole cents, not {amount}")
    return int(amount * 100)


def build(creditor: Creditor, collection_date: date, debits: Sequence[Debit]) -> Pain008File:
    if not debits:
        raise ValueError("a pain.008 file holds at least one debit")
    sepa = SepaDD(
        {
            "name": creditor.name,
            "IBAN": creditor.iban,
            "BIC": creditor.bic,
            "batch": True,
            "creditor_id": creditor.creditor_id,
            "currency": "EUR",
            "instrument": "CORE",
        },
        schema=SCHEMA,
        clean=True,  # transliterates names to the Latin characters SEPA allows
    )
    for debit in debits:
        sepa.add_payment(
            {
                "name": debit.debtor_name,
                "IBAN": debit.debtor_iban,
                "amount": cents(debit.amount),
                "type": debit.sequence_type,
                "collection_date": collection_date,
                "mandate_id": debit.mandate_reference,
                "mandate_date": debit.mandate_signed_on,
                "description": debit.description,
                "endtoend_id": debit.end_to_end_id,
            }
        )
    try:
        content: bytes = sepa.export(validate=True)
    except ValidationError as exc:
        raise Pain008Invalid(_reason(exc)) from exc
    return Pain008File(
        message_id=str(sepa.msg_id),
        content=content,
        count=len(debits),
        total=sum((d.amount for d in debits), Decimal("0.00")),
    )


def validate(content: bytes) -> None:
    """Pain008Invalid unless ``content`` is a valid pain.008.001.02 document."""
    if not content.lstrip().startswith(b"<"):
        raise Pain008Invalid("not an XML document")
    try:
        try_valid_xml(content, SCHEMA)
    except ValidationError as exc:
        raise Pain008Invalid(_reason(exc)) from exc
    except Exception as exc:  # malformed XML: xmlschema's parse errors have no common base
        raise Pain008Invalid(f"not a pain.008 document: {type(exc).__name__}") from exc


def _reason(exc: ValidationError) -> str:
    """xmlschema's reason (which element and rule) rather than sepaxml's generic message."""
    return str(getattr(exc.__cause__, "reason", None) or exc)
