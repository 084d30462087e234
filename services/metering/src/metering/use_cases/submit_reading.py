"""A reading is checked, stored and announced in one transaction: a customer's own
(POST /v1/readings) or one operations record for a technician's visit or an estimate
(POST /v1/admin/readings).

Both pass the same rules: within the contract's supply, on a register of the meter in place
at that moment, not below the register's previous index nor above a later one unless the
counter rolled over. The plausibility check asks a customer to confirm an unusual value (and
records that they did); for operations it is informative only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.exc import IntegrityError

from metering.db.repositories import Contracts, ExpectedVolumes, Meters, Readings
from metering.db.tables import ContractView, MeterRegister, Reading
from metering.domain.calendar import as_instant
from metering.domain.errors import ReadingRejected
from metering.domain.meters import meter_at
from metering.domain.plausibility import (
    Verdict,
    annual_volume_for,
    assess,
    expected_per_day,
    factors_for,
    history_per_day,
)
from metering.domain.readings import (
    KnownReading,
    SupplyPeriod,
    capacity_of,
    check_fits_counter,
    check_monotonic,
    check_read_at,
    check_rollover,
    is_final,
    normalise_value,
)
from metering.settings import MeteringSettings
from metering.use_cases.accepted_readings import accept_reading
from metering.use_cases.problems import contract_not_found, customers_contract
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.metering import ReadingQuality, ReadingSource, Register

READING_EXISTS = "reading-exists"
ALREADY_READ = "This register already has a reading at that moment."


@dataclass(frozen=True)
class ReadingEntry:
    """What was read, as submitted."""

    contract_id: str
    register_type: Register
    value: Decimal
    read_at: datetime | date
    rollover: bool = False  # the counter passed its maximum since the previous reading
    confirm_unusual: bool = False  # the customer confirms a value the check found unusual


@dataclass(frozen=True)
class Recorded:
    reading: Reading
    verdict: Verdict | None  # the plausibility check; None when there was nothing to judge by


async def submit_reading(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    customer_number: str,
    entry: ReadingEntry,
    now: datetime | None = None,
) -> Reading:
    """A customer's own reading of one of their contracts' meters."""
    contract = await customers_contract(uow, customer_number, entry.contract_id)
    recorded = await _record(
        uow, settings, contract, entry, source="customer", quality="actual", ask_to_confirm=True, now=now
    )
    return recorded.reading


async def record_operator_reading(
    uow: UnitOfWork,
    settings: MeteringSettings,
    *,
    entry: ReadingEntry,
    source: ReadingSource,
    quality: ReadingQuality,
    now: datetime | None = None,
) -> Recorded:
    """A technician's reading or an estimate, recorded by operations for any contract."""
    contract = await Contracts(uow.session).get(entry.contract_id)
    if contract is None:
        raise ProblemError(404, "contract-not-found", "No such contract.")
    return await _record(
        uow, settings, contract, entry, source=source, quality=quality, ask_to_confirm=False, now=now
    )


async def _record(
    uow: UnitOfWork,
    settings: MeteringSettings,
    contract: ContractView,
    entry: ReadingEntry,
    *,
    source: ReadingSource,
    quality: ReadingQuality,
    ask_to_confirm: bool,
    now: datetime | None,
) -> Recorded:
    now = now or datetime.now(UTC)
    zone = settings.zone
    moment = as_instant(entry.read_at, zone)
    value = normalise_value(entry.value)
    meters = Meters(uow.session)
    readings = Readings(uow.session)
    try:
        check_read_at(
            moment,
            now=now,
            clock_skew=settings.reading_clock_skew,
            period=SupplyPeriod(contract.start_date, contract.end_date),
            zone=zone,
        )
        meter = meter_at(await meters.of_contract_for_update(contract.contract_id), moment, zone)
        if meter is None:
            raise contract_not_found()
        registers = {r.register_type: r for r in await meters.registers([meter.meter_id])}
        register = registers.get(entry.register_type)
        if register is None:
            raise ProblemError(
                422,
                "register-not-on-meter",
                f"The meter of this contract has no {entry.register_type} register.",
                registers=sorted(registers),
            )
        check_fits_counter(value, register.digits)
        before = await readings.at_or_before(meter.meter_id, entry.register_type, moment)
        if before is not None and before.read_at == moment:
            raise ProblemError(409, READING_EXISTS, ALREADY_READ)
        after = await readings.after(meter.meter_id, entry.register_type, moment)
        rollover_capacity = None
        if entry.rollover:
            rollover_capacity = check_rollover(
                value, previous=_known(before), following=_known(after), digits=register.digits
            )
        else:
            check_monotonic(value, previous=_known(before), following=_known(after))
    except ReadingRejected as rejected:
        raise ProblemError(422, rejected.slug, rejected.detail, **rejected.extra) from None

    verdict = await _plausibility(uow, settings, contract, register, before, value, moment, entry.rollover)
    unusual = verdict is not None and not verdict.usual
    if unusual and ask_to_confirm and not entry.confirm_unusual:
        assert verdict is not None
        raise ProblemError(
            422,
            "reading-unusual",
            f"This value is far from the expected consumption (an index between "
            f"{verdict.expected_min} and {verdict.expected_max}). Please check it; if it is right, "
            "send it again with confirm_unusual: true.",
            expected_min=str(verdict.expected_min),
            expected_max=str(verdict.expected_max),
            confirmation_required=True,
        )
    reading = accept_reading(
        uow,
        contract,
        meter_id=meter.meter_id,
        register_type=entry.register_type,
        value=value,
        read_at=moment,
        source=source,
        quality=quality,
        received_at=now,
        rollover_capacity=rollover_capacity,
        confirmed_unusual=unusual and ask_to_confirm,
        final=is_final(moment, contract.end_date, zone),
    )
    try:
        await uow.commit()
    except IntegrityError:
        # Two submissions for the same register and moment raced; the first one won.
        raise ProblemError(409, READING_EXISTS, ALREADY_READ) from None
    return Recorded(reading, verdict)


async def _plausibility(
    uow: UnitOfWork,
    settings: MeteringSettings,
    contract: ContractView,
    register: MeterRegister,
    previous: Reading | None,
    value: Decimal,
    moment: datetime,
    rolled_over: bool,
) -> Verdict | None:
    if previous is None:
        return None  # a first index: no consumption to judge
    first, rollovers = await Readings(uow.session).history(
        register.meter_id, register.register_type, previous.read_at
    )
    history = None if first is None else history_per_day(_as_known(first), _as_known(previous), rollovers)
    volumes = await ExpectedVolumes(uow.session).of_contract(contract.contract_id)
    low, high = factors_for(
        register.register_type,
        Decimal(str(settings.plausibility_low_factor)),
        Decimal(str(settings.plausibility_high_factor)),
    )
    return assess(
        previous=_as_known(previous),
        value=value,
        read_at=moment,
        per_day=expected_per_day(history, annual_volume_for(register.register_type, volumes)),
        low=low,
        high=high,
        min_days=settings.plausibility_min_days,
        capacity=capacity_of(register.digits),
        rolled_over=rolled_over,
    )


def _as_known(reading: Reading) -> KnownReading:
    return KnownReading(reading.value, reading.read_at)


def _known(reading: Reading | None) -> KnownReading | None:
    return None if reading is None else _as_known(reading)
