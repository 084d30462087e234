"""SEPA direct debit: the collection run (``collect-direct-debits``) and returned debits.

Collection run. The open invoices of customers who pay by direct debit under a mandate, due
by the collection date (billing.domain.direct_debit), go into one pain.008 file
(billing.domain.pain008). In one transaction: the collection (with the file's content), one
item per invoice, and a payment per item (channel direct_debit, its end-to-end id as the
reference, received at the start of the collection date), which settles the invoice and
announces PaymentReceived / InvoicePaid. The file is written to disk only after that commit,
so a file on disk is always one that billing booked. An invoice is debited once: its item's
end-to-end id is its number, inserted only if absent, so a second run (or two at once)
finds nothing new. A debit that comes back is not debited again automatically: the reminder
steps take over and the customer pays it another way.

The debtor's IBAN and name are unsealed only to write the file and never logged. A customer
whose IBAN cannot be opened or is not valid is left out of the file (counted, by number).

Returned debits (from the bank's return file, entered by operations): each known item is
marked returned with its reason and its payment reversed (the invoice is open again,
PaymentReturned); an item already returned is left as it is; unknown ids are reported.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from billing.db.repositories import DirectDebits
from billing.db.tables import CustomerView, DirectDebitCollection, InvoiceRow
from billing.domain.direct_debit import check_iban, collection_date, end_to_end_id, sequence_type
from billing.domain.pain008 import Creditor, Debit, Pain008File, Pain008Invalid, build
from billing.settings import BillingSettings
from billing.use_cases.payments import book_payment, reverse_payment
from portal_chassis.calendar import calendar_day, start_of_day
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer, SealingError
from portal_chassis.uow import UnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class CollectionResult:
    collection_date: date
    count: int = 0
    total: Decimal = Decimal("0.00")
    message_id: str | None = None
    file: Path | None = None
    skipped_customers: list[str] = field(default_factory=list)  # customer numbers only

    def summary(self) -> dict[str, Any]:
        return {
            "collection_date": self.collection_date.isoformat(),
            "debits": self.count,
            "total": str(self.total),
            "message_id": self.message_id,
            "file": None if self.file is None else str(self.file),
            "skipped_customers": self.skipped_customers,
        }


def creditor_of(settings: BillingSettings) -> Creditor:
    return Creditor(
        name=settings.creditor_name,
        iban=settings.creditor_iban,
        bic=settings.creditor_bic,
        creditor_id=settings.creditor_id,
    )


def _sealer(settings: BillingSettings) -> Sealer:
    if settings.event_sealing_key is None:
        raise ProblemError(
            500, "sealing-key-missing", "EVENT_SEALING_KEY is needed to read the debtors' IBANs."
        )
    return Sealer(settings.event_sealing_key.get_secret_value())


async def collect_direct_debits(
    uow: UnitOfWork, settings: BillingSettings, *, today: date, now: datetime, out_dir: Path
) -> CollectionResult:
    """Build, store and book today's collection, commit, then write its file into ``out_dir``."""
    sealer = _sealer(settings)
    day = collection_date(today, settings.debit_lead_days)
    debits = DirectDebits(uow.session)
    due = await debits.due(day)
    if not due:
        return CollectionResult(collection_date=day)
    debtors, skipped = _open_debtors(sealer, {customer.customer_number: customer for _, customer in due})
    mandates = {c.mandate_reference for c in debtors.values() if c.mandate_reference is not None}
    debited_before = await debits.debited_mandates(mandates)

    collection = DirectDebitCollection(
        id=str(uuid.uuid4()),
        message_id=uuid.uuid4().hex,  # sepaxml's own id replaces it once the file is built
        collection_date=day,
        created_at=now,
        file_name="",
        content=b"",
        total=Decimal("0.00"),
        count=0,
    )
    debits.add_collection(collection)
    await uow.session.flush()
    lines: list[tuple[str, Debit]] = []  # (customer number, debit)
    for invoice, _ in due:
        debtor = debtors.get(invoice.customer_number)
        if debtor is None:
            continue
        debit = _debit(invoice, debtor, debited_before)
        claimed = await debits.claim_item(
            {
                "end_to_end_id": debit.end_to_end_id,
                "collection_id": collection.id,
                "invoice_id": invoice.id,
                "customer_number": invoice.customer_number,
                "amount": debit.amount,
                "payment_id": None,
                "status": "collected",
                "mandate_reference": debit.mandate_reference,
                "sequence_type": debit.sequence_type,
            }
        )
        if claimed:  # else a concurrent run took it
            lines.append((invoice.customer_number, debit))
    if not lines:
        await uow.session.delete(collection)
        await uow.commit()
        return CollectionResult(collection_date=day, skipped_customers=skipped)

    try:
        pain = build(creditor_of(settings), day, [debit for _, debit in lines])
    except Pain008Invalid as exc:  # nothing is stored or booked: the run can be repeated once fixed
        raise ProblemError(500, "pain008-invalid", f"The direct-debit file failed its schema: {exc}") from exc
    collection.message_id = pain.message_id
    collection.file_name = f"pain008-{day.isoformat()}-{pain.message_id}.xml"
    collection.content = pain.content
    collection.total = pain.total
    collection.count = pain.count
    await _book(uow, settings, debits, collection, lines)
    await uow.commit()

    path = _write(out_dir, collection.file_name, pain)
    log.info(
        "direct debits collected",
        collection_id=collection.id,
        message_id=pain.message_id,
        collection_date=day.isoformat(),
        debits=pain.count,
        total=str(pain.total),
        skipped_customers=len(skipped),
    )
    return CollectionResult(
        collection_date=day,
        count=pain.count,
        total=pain.total,
        message_id=pain.message_id,
        file=path,
        skipped_customers=skipped,
    )


@dataclass(frozen=True)
class _Debtor:
    name: str
    iban: str
    mandate_reference: str | None
    mandate_signed_on: date | None


def _open_debtors(sealer: Sealer, customers: dict[str, CustomerView]) -> tuple[dict[str, _Debtor], list[str]]:
    """Each customer's name and IBAN in the clear (for the file only), and the customers left
    out because their IBAN cannot be opened or is not valid."""
    debtors: dict[str, _Debtor] = {}
    skipped: list[str] = []
    for number, customer in sorted(customers.items()):
        try:
            assert customer.sealed_iban is not None, "selected with an IBAN"
            iban = check_iban(sealer.open(customer.sealed_iban))
            name = sealer.open(customer.sealed_name) if customer.sealed_name else f"Klant {number}"
        except (SealingError, ValueError):
            log.warning("direct debit skipped: IBAN unreadable or invalid", customer_number=number)
            skipped.append(number)
            continue
        debtors[number] = _Debtor(name, iban, customer.mandate_reference, customer.mandate_signed_on)
    return debtors, skipped


def _debit(invoice: InvoiceRow, debtor: _Debtor, debited_before: set[str]) -> Debit:
    assert debtor.mandate_reference is not None and debtor.mandate_signed_on is not None
    return Debit(
        end_to_end_id=end_to_end_id(invoice.number),
        amount=invoice.open_amount,
        debtor_name=debtor.name,
        debtor_iban=debtor.iban,
        mandate_reference=debtor.mandate_reference,
        mandate_signed_on=debtor.mandate_signed_on,
        sequence_type=sequence_type(debtor.mandate_reference in debited_before),
        description=f"Factuur {invoice.number} klantnummer {invoice.customer_number}",
    )


async def _book(
    uow: UnitOfWork,
    settings: BillingSettings,
    debits: DirectDebits,
    collection: DirectDebitCollection,
    lines: Sequence[tuple[str, Debit]],
) -> None:
    received_at = start_of_day(collection.collection_date, settings.zone)
    for customer_number, debit in lines:
        payment = await book_payment(
            uow,
            settings,
            customer_number=customer_number,
            channel="direct_debit",
            amount=debit.amount,
            reference=debit.end_to_end_id,
            received_at=received_at,
        )
        item = await debits.item(debit.end_to_end_id)
        assert item is not None and payment is not None, "a new item's reference is not booked yet"
        item.payment_id = payment.id


def _write(out_dir: Path, file_name: str, pain: Pain008File) -> Path:
    """Write the file whole or not at all (a temporary file renamed into place)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / file_name
    fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".pain008-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pain.content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass(frozen=True)
class DebitReturn:
    end_to_end_id: str
    reason_code: str  # ISO 20022, e.g. AM04 (insufficient funds), MD06 (refund requested)
    returned_on: date


@dataclass(frozen=True)
class ReturnsResult:
    returned: list[str]  # end-to-end ids returned now
    already_returned: list[str]  # known and returned before: nothing changed
    unknown: list[str]  # no debit with this end-to-end id

    def summary(self) -> dict[str, Any]:
        return {"returned": self.returned, "already_returned": self.already_returned, "unknown": self.unknown}


async def process_debit_returns(
    uow: UnitOfWork, settings: BillingSettings, returns: Sequence[DebitReturn], *, now: datetime
) -> ReturnsResult:
    """Mark the known debits returned and reverse their payments, then commit. A 422 problem
    (nothing changed) when none of the ids is known or a return is dated in the future."""
    today = calendar_day(now, settings.zone)
    future = [r.end_to_end_id for r in returns if r.returned_on > today]
    if future:
        raise ProblemError(
            422,
            "return-date-in-future",
            "A debit cannot have been returned after today.",
            end_to_end_ids=future,
        )
    debits = DirectDebits(uow.session)
    returned: list[str] = []
    already: list[str] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for entry in returns:
        if entry.end_to_end_id in seen:
            continue  # the same debit twice in one list: the first entry counts
        seen.add(entry.end_to_end_id)
        item = await debits.item(entry.end_to_end_id)
        if item is None:
            unknown.append(entry.end_to_end_id)
            continue
        if item.status == "returned":
            already.append(entry.end_to_end_id)
            continue
        if item.payment_id is not None:
            await reverse_payment(
                uow,
                settings,
                item.payment_id,
                reason_code=entry.reason_code,
                returned_at=start_of_day(entry.returned_on, settings.zone),
            )
        item.status = "returned"
        item.reason_code = entry.reason_code
        item.returned_on = entry.returned_on
        await uow.session.flush()
        returned.append(entry.end_to_end_id)
    if not returned and not already:
        raise ProblemError(
            422, "debits-unknown", "None of these end-to-end ids is a collected debit.", unknown=unknown
        )
    await uow.commit()
    log.info("debit returns processed", returned=len(returned), already=len(already), unknown=len(unknown))
    return ReturnsResult(returned=returned, already_returned=already, unknown=unknown)
