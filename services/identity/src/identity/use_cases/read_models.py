"""Identity's copies of what other services know and registration needs, fed by their events.

- CustomerRegistered (contracts) -> registration_facts: segment, language, postcodes;
- ContractCreated (contracts) -> contract_facts: a contract's number and customer;
- RegistrationCodeIssued (contracts) -> registration_codes: the latest letter code per contract,
  opened from its seal and kept only as an argon2id hash;
- InvoiceIssued (billing) -> latest_invoices: number and total of a contract's newest invoice.

Each event is a full snapshot of its row: the newest one (by ``occurred_at``, for invoices by
``issued_at``) replaces the row and an older one arriving late changes nothing. The chassis
inbox drops a redelivered event; the same snapshot sent again under a new event id writes the
same row (a registration code sent again is a new letter only if it is newer).
"""

from __future__ import annotations

from datetime import datetime

from identity.db.repositories import (
    ContractFactsRepository,
    LatestInvoices,
    RegistrationCodes,
    RegistrationFactsRepository,
)
from identity.db.tables import ContractFacts, LatestInvoice, RegistrationCode, RegistrationFacts
from identity.domain.hashing import off_loop
from identity.domain.registration import join_postcodes
from identity.domain.secrets import hash_code
from portal_chassis.sealing import Sealer
from portal_chassis.uow import UnitOfWork
from portal_schemas.billing import InvoiceIssued
from portal_schemas.contracts import ContractCreated, CustomerRegistered, RegistrationCodeIssued


async def record_customer(uow: UnitOfWork, data: CustomerRegistered, occurred_at: datetime) -> bool:
    """Returns whether the row changed (False for a snapshot older than the stored one)."""
    repository = RegistrationFactsRepository(uow.session)
    postcodes = join_postcodes([*data.supply_postcodes, data.billing_postcode])
    facts = await repository.get(data.customer_number)
    if facts is None:
        repository.add(
            RegistrationFacts(
                customer_number=data.customer_number,
                segment=data.segment,
                language=data.language,
                postcodes=postcodes,
                as_of=occurred_at,
            )
        )
        return True
    if occurred_at < facts.as_of:
        return False
    facts.segment = data.segment
    facts.language = data.language
    facts.postcodes = postcodes
    facts.as_of = occurred_at
    return True


async def record_contract(uow: UnitOfWork, data: ContractCreated, occurred_at: datetime) -> bool:
    """Returns whether the row changed. A contract without a number (events written before
    numbers existed) is kept too: it still belongs to its customer's own contracts."""
    repository = ContractFactsRepository(uow.session)
    facts = await repository.get(data.contract_id)
    if facts is None:
        repository.add(
            ContractFacts(
                contract_id=data.contract_id,
                contract_number=data.contract_number,
                customer_number=data.customer_number,
                as_of=occurred_at,
            )
        )
        return True
    if occurred_at < facts.as_of:
        return False
    facts.contract_number = data.contract_number
    facts.customer_number = data.customer_number
    facts.as_of = occurred_at
    return True


async def record_registration_code(
    uow: UnitOfWork, sealer: Sealer, data: RegistrationCodeIssued, occurred_at: datetime
) -> bool:
    """A newer letter replaces the row and starts afresh (not used, no wrong tries); a code
    that cannot be opened raises, so the event goes to the dead-letter topic with the error."""
    repository = RegistrationCodes(uow.session)
    row = await repository.get(data.contract_number)
    if row is not None and occurred_at <= row.issued_at:
        return False  # older, or this very letter again
    code_hash = await off_loop(hash_code, sealer.open(data.sealed_code))
    if row is None:
        repository.add(
            RegistrationCode(
                contract_number=data.contract_number,
                contract_id=data.contract_id,
                customer_number=data.customer_number,
                code_hash=code_hash,
                issued_at=occurred_at,
                expires_at=data.expires_at,
                wrong_attempts=0,
                used_at=None,
            )
        )
        return True
    row.contract_id = data.contract_id
    row.customer_number = data.customer_number
    row.code_hash = code_hash
    row.issued_at = occurred_at
    row.expires_at = data.expires_at
    row.wrong_attempts = 0
    row.used_at = None
    return True


async def record_invoice(uow: UnitOfWork, data: InvoiceIssued) -> bool:
    """Only invoices count as "the last invoice" a registrant is asked about: a credit note is
    a different document (and its total would not be what the customer looks for), and an
    invoice without a contract (a customer-level one) proves no contract."""
    if data.contract_id is None or data.kind == "credit_note":
        return False
    repository = LatestInvoices(uow.session)
    row = await repository.get(data.contract_id)
    if row is None:
        repository.add(
            LatestInvoice(
                contract_id=data.contract_id,
                invoice_number=data.invoice_number,
                total_incl_vat=data.total_incl_vat,
                issued_at=data.issued_at,
            )
        )
        return True
    if data.issued_at < row.issued_at:
        return False
    row.invoice_number = data.invoice_number
    row.total_incl_vat = data.total_incl_vat
    row.issued_at = data.issued_at
    return True
