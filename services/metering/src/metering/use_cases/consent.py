"""Smart-meter consent per contract: see it, grant it, revoke it, and ask again after new terms.

- grant (for the terms in force): SmartMeterConsentGranted with the day the data is expected
  (settings.smart_meter_data_working_days working days later), and SmartMeterDataRequested
  asking the hub for the connection's data since the contract's start (at most
  smart_meter_backfill_days back), recorded as a DataRequest. Granting again while granted
  for these terms changes nothing and emits nothing.
- revoke: the consent is revoked first (its row lock makes a feed batch in flight finish or
  see the revocation, db/feed_store.py), then the interval data (day and month rows) of
  the contract's meters is deleted; SmartMeterConsentRevoked. Revoking what is not granted changes nothing.
- reconsent: after settings.smart_meter_terms_version is raised, remote reading of consents
  for older terms pauses (domain/consent.py) and ``request-reconsent`` emits
  SmartMeterReconsentNeeded once per consent and terms version.

Each change is one unit of work with its events (the outbox); problems change nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from metering.db.feed_store import FeedStore
from metering.db.repositories import DataRequests, Meters, SmartMeterConsents
from metering.db.tables import (
    CONSENT_GRANTED,
    CONSENT_REVOKED,
    CONTRACT_ENDED,
    ContractView,
    DataRequest,
    Meter,
    SmartMeterConsent,
)
from metering.domain.consent import ConsentStatus, needs_consent, status_of
from metering.domain.meters import current
from metering.domain.working_days import add_working_days
from metering.settings import MeteringSettings
from metering.use_cases.problems import customers_contract
from portal_chassis.calendar import calendar_day, start_of_day
from portal_chassis.logging import get_logger
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import (
    SmartMeterConsentGranted,
    SmartMeterConsentRevoked,
    SmartMeterDataRequested,
    SmartMeterReconsentNeeded,
)

log = get_logger(__name__)


@dataclass(frozen=True)
class ConsentView:
    contract_id: str
    status: ConsentStatus
    consent_required: bool
    smart_meter: bool
    terms_version: int | None
    current_terms_version: int
    granted_at: datetime | None
    revoked_at: datetime | None
    data_expected_by: date | None


async def consent_of(
    uow: UnitOfWork, settings: MeteringSettings, *, customer_number: str, contract_id: str
) -> ConsentView:
    contract = await customers_contract(uow, customer_number, contract_id)
    consent = await SmartMeterConsents(uow.session).get(contract_id)
    return await _view(uow, settings, contract, consent)


async def grant_consent(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    contract_id: str,
    terms_version: int,
    now: datetime | None = None,
) -> ConsentView:
    now = now or datetime.now(UTC)
    contract = await customers_contract(uow, customer_number, contract_id)
    _check_consent_needed(contract, settings)
    if contract.status == CONTRACT_ENDED:
        raise ProblemError(409, "contract-ended", "The contract has ended: its meter is no longer read.")
    consents = SmartMeterConsents(uow.session)
    consent = await consents.lock(contract_id)
    meter = current(await Meters(uow.session).of_contracts([contract_id]))
    ean = _smart_ean(meter, contract)
    if ean is None:
        raise ProblemError(
            409, "no-smart-meter", "The contract's meter is not a smart meter: it cannot be read remotely."
        )
    if terms_version != settings.smart_meter_terms_version:
        raise ProblemError(
            422,
            "terms-version-outdated",
            "Consent is given for the terms in force only.",
            current_terms_version=settings.smart_meter_terms_version,
        )
    if status_of(consent, settings.smart_meter_terms_version) == "granted":
        assert consent is not None
        return await _view(uow, settings, contract, consent)

    expected_by = add_working_days(calendar_day(now, settings.zone), settings.smart_meter_data_working_days)
    if consent is None:
        consent = SmartMeterConsent(contract_id=contract_id, customer_number=contract.customer_number)
        consents.add(consent)
    consent.status = CONSENT_GRANTED
    consent.terms_version = terms_version
    consent.granted_at = now
    consent.revoked_at = None
    consent.data_expected_by = expected_by
    uow.emit(
        SmartMeterConsentGranted(
            contract_id=contract_id,
            customer_number=contract.customer_number,
            terms_version=terms_version,
            granted_at=now,
            data_expected_by=expected_by,
        ),
        subject=contract_id,
    )
    request = DataRequest(
        request_id=str(uuid.uuid4()),
        contract_id=contract_id,
        ean=ean,
        data_from=max(
            start_of_day(contract.start_date, settings.zone),
            now - timedelta(days=settings.smart_meter_backfill_days),
        ),
        data_to=now,
        requested_at=now,
    )
    DataRequests(uow.session).add(request)
    # Keyed by the connection, like the hub's own topics: its adapter answers per EAN.
    uow.emit(
        SmartMeterDataRequested(
            request_id=request.request_id, ean=ean, data_from=request.data_from, data_to=request.data_to
        ),
        subject=ean,
    )
    await uow.session.flush()
    view = await _view(uow, settings, contract, consent)
    await uow.commit()
    log.info("smart-meter consent granted", contract_id=contract_id, terms_version=terms_version)
    return view


async def revoke_consent(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    contract_id: str,
    now: datetime | None = None,
) -> ConsentView:
    now = now or datetime.now(UTC)
    contract = await customers_contract(uow, customer_number, contract_id)
    _check_consent_needed(contract, settings)
    consent = await SmartMeterConsents(uow.session).lock(contract_id)
    if consent is None or consent.status != CONSENT_GRANTED:
        return await _view(uow, settings, contract, consent)
    consent.status = CONSENT_REVOKED
    consent.revoked_at = now
    consent.data_expected_by = None
    # The consent row is written (and locked) before the data goes: see the module docstring.
    await uow.session.flush()
    meters = await Meters(uow.session).of_contracts([contract_id])
    deleted = await FeedStore(uow.session).delete_meters_data([m.meter_id for m in meters])
    uow.emit(
        SmartMeterConsentRevoked(
            contract_id=contract_id, customer_number=contract.customer_number, revoked_at=now
        ),
        subject=contract_id,
    )
    view = await _view(uow, settings, contract, consent)
    await uow.commit()
    log.info("smart-meter consent revoked; remote data deleted", contract_id=contract_id, intervals=deleted)
    return view


async def request_reconsent(uow: UnitOfWork, settings: MeteringSettings) -> int:
    """SmartMeterReconsentNeeded for every consent granted for older terms, once per terms
    version: a second run, or one running at the same time, asks nobody twice."""
    version = settings.smart_meter_terms_version
    consents = SmartMeterConsents(uow.session)
    asked = 0
    for consent in await consents.outdated(version):
        if not await consents.claim_reconsent(consent.contract_id, version):
            continue
        uow.emit(
            SmartMeterReconsentNeeded(
                contract_id=consent.contract_id,
                customer_number=consent.customer_number,
                consented_version=consent.terms_version,
                current_version=version,
            ),
            subject=consent.contract_id,
        )
        asked += 1
    await uow.commit()
    return asked


def _check_consent_needed(contract: ContractView, settings: MeteringSettings) -> None:
    if not needs_consent(contract.commodity, settings.consent_required_for):
        raise ProblemError(
            422,
            "consent-not-needed",
            f"A {contract.commodity} contract's meter is read without a smart-meter consent.",
        )


def _smart_ean(meter: Meter | None, contract: ContractView) -> str | None:
    """The connection the hub knows the smart meter by; None when there is no smart meter."""
    if meter is None or not meter.smart:
        return None
    return meter.ean or contract.ean


async def _view(
    uow: UnitOfWork, settings: MeteringSettings, contract: ContractView, consent: SmartMeterConsent | None
) -> ConsentView:
    meter = current(await Meters(uow.session).of_contracts([contract.contract_id]))
    status = status_of(consent, settings.smart_meter_terms_version)
    return ConsentView(
        contract_id=contract.contract_id,
        status=status,
        consent_required=needs_consent(contract.commodity, settings.consent_required_for),
        smart_meter=_smart_ean(meter, contract) is not None,
        terms_version=None if consent is None else consent.terms_version,
        current_terms_version=settings.smart_meter_terms_version,
        granted_at=None if consent is None else consent.granted_at,
        revoked_at=None if consent is None else consent.revoked_at,
        data_expected_by=consent.data_expected_by if consent is not None and status == "granted" else None,
    )
