"""Ending a contract, and its fee: provisional, final and adjusted.

Every way a contract ends goes through ``record_termination``: the customer's own request
(API), a move without a new address (use_cases/moves.py) and a switch notice from another
supplier via the switching hub (consumers.py). It works out the fee for the intended last day
of supply and announces it in ContractTerminated; an early-termination fee is provisional
(``fee_is_final`` false) until ``end_due_contracts`` sees the last day pass, works it out
again for the actual last day and announces the final fee. Operations may lower or waive a
fee before that (``adjust_fee``); the final fee is then at most the adjusted amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import structlog
from sqlalchemy.orm.exc import StaleDataError

from contracts.db.repositories import ContractEvents, Contracts
from contracts.db.tables import Contract
from contracts.domain.contract import MAX_NOTICE, check_termination
from contracts.domain.errors import ContractNotActive, InvalidEndDate
from contracts.domain.termination_fee import FeeQuote, adjusted, termination_fee
from contracts.settings import ContractsSettings
from contracts.use_cases.contract_lookups import any_contract, owned_contract
from contracts.use_cases.fee_prices import fee_inputs, term_in_force
from portal_chassis.calendar import calendar_day
from portal_chassis.dead_letter import PermanentError
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractTerminated, TerminationReason
from portal_schemas.hub import SwitchNoticeReceived
from portal_schemas.types import to_cents

log = structlog.get_logger()

# A move ends a contract that is supplied, or one that is to be supplied by the move-out day.
ENDABLE_AT_MOVE = ("active", "confirmed")


@dataclass(frozen=True)
class Termination:
    contract: Contract
    fee: FeeQuote


async def quote_for(
    uow: UnitOfWork, settings: ContractsSettings, contract: Contract, *, end_date: date, requested_on: date
) -> FeeQuote:
    """The fee for ending after ``end_date``, asked for on ``requested_on`` (whose prices the
    comparison uses), lowered to an operator's adjustment if there is one."""
    terms, tariffs = await fee_inputs(uow, settings, contract, on=end_date)
    quote = termination_fee(
        terms,
        end_date=end_date,
        requested_on=requested_on,
        withdrawal_days=settings.withdrawal_days,
        vat_rate=settings.vat_rate,
        tariffs=tariffs,
        profile=settings.fee_profile(contract.commodity),
    )
    if contract.fee_adjusted_excl_vat is not None:
        quote = adjusted(quote, contract.fee_adjusted_excl_vat, settings.vat_rate)
    return quote


async def check_notice(
    uow: UnitOfWork, settings: ContractsSettings, contract: Contract, *, end_date: date, today: date
) -> None:
    """An indefinite contract (today's terms have no fixed term: never had one, or rolled
    over) ends free of charge, with the notice the conditions set."""
    earliest = today + timedelta(days=settings.indefinite_notice_days)
    indefinite = (await term_in_force(uow, contract, today)).terms.fixed_term_end is None
    if indefinite and end_date < earliest:
        raise InvalidEndDate(
            f"An indefinite contract ends with {settings.indefinite_notice_days} days' notice: "
            f"{earliest.isoformat()} at the earliest.",
            field="end_date",
        )


async def terminate_contract(
    uow: UnitOfWork,
    settings: ContractsSettings,
    *,
    customer_number: str,
    contract_id: str,
    end_date: date,
    reason: TerminationReason,
    now: datetime,
    allowed: tuple[str, ...] = ("active",),
) -> Termination:
    """The customer ends their contract (or a move without a new address ends it: ``allowed``
    then includes a confirmed contract that starts by the move-out day)."""
    contract = await owned_contract(uow, customer_number, contract_id)
    today = calendar_day(now, settings.zone)
    check_termination(
        status=contract.status,
        start_date=contract.start_date,
        end_date=end_date,
        today=today,
        allowed=allowed,
    )
    if reason != "move":  # a move ends supply on the move-out day, whatever the notice
        await check_notice(uow, settings, contract, end_date=end_date, today=today)
    fee = await record_termination(uow, settings, contract, end_date=end_date, reason=reason, now=now)
    try:
        await uow.commit()
    except StaleDataError:
        # Another request terminated it between our read and our write (version check).
        raise ContractNotActive("This contract was terminated meanwhile.") from None
    return Termination(contract, fee)


async def record_termination(
    uow: UnitOfWork,
    settings: ContractsSettings,
    contract: Contract,
    *,
    end_date: date,
    reason: TerminationReason,
    now: datetime,
    **history: str,
) -> FeeQuote:
    """Mark the contract terminating, work out its fee and announce it (the caller commits)."""
    today = calendar_day(now, settings.zone)
    fee = await quote_for(uow, settings, contract, end_date=end_date, requested_on=today)
    fee_is_final = not fee.depends_on_end_date

    contract.status = "terminating"
    contract.end_date = end_date
    contract.termination_reason = reason
    contract.termination_fee = fee.total
    contract.termination_fee_excl_vat = fee.amount_excl_vat
    contract.termination_fee_basis = fee.basis.value
    contract.termination_fee_final = fee_is_final
    contract.terminated_at = now
    ContractEvents(uow.session).record(
        contract.id,
        "termination_recorded",
        now,
        end_date=end_date.isoformat(),
        reason=reason,
        fee=str(fee.total),
        fee_basis=fee.basis.value,
        fee_is_final=fee_is_final,
        **history,
    )
    _announce(uow, settings, contract, fee, final=fee_is_final)
    return fee


async def terminate_by_switch(
    uow: UnitOfWork, settings: ContractsSettings, notice: SwitchNoticeReceived, *, now: datetime
) -> Contract | None:
    """Another supplier takes the connection over: supply ends the day before its first day.

    None when the notice names no contract of ours that is supplied or about to be (it may be
    for a connection we do not supply). A repeated notice with the same date changes nothing;
    a new date replaces the intended end and announces the provisional fee again. A date more
    than five years from today is no real switch: it goes to the dead letters, nothing changes.
    """
    if abs(notice.intended_switch_date - calendar_day(now, settings.zone)) > MAX_NOTICE:
        raise PermanentError("intended_switch_date is more than five years from today")
    contracts = Contracts(uow.session)
    if notice.contract_number is not None:
        contract = await contracts.by_number(notice.contract_number)
    else:
        assert notice.ean is not None, "the event requires one of them"
        contract = await contracts.current_by_ean(notice.ean)
    if contract is None or contract.status not in ("active", "confirmed", "terminating"):
        log.warning("switch notice for no current contract", notice_id=notice.notice_id)
        return None
    end_date = notice.intended_switch_date - timedelta(days=1)
    if contract.status == "terminating" and contract.end_date == end_date:
        return contract
    await record_termination(
        uow,
        settings,
        contract,
        end_date=end_date,
        reason="switch",
        now=now,
        new_supplier=notice.new_supplier,
        notice_id=notice.notice_id,
    )
    return contract


async def end_due_contracts(
    uow: UnitOfWork, settings: ContractsSettings, *, today: date, now: datetime
) -> int:
    """Every terminating contract whose last day of supply is before ``today`` ends; a fee
    that was provisional is worked out for the actual last day and announced as final. Safe
    to run twice: an ended contract is not picked again. Returns how many ended."""
    due = await Contracts(uow.session).due_to_end(today)
    for contract in due:
        assert contract.end_date is not None and contract.terminated_at is not None
        contract.status = "ended"
        if contract.termination_fee_final:
            continue  # the fee announced with the termination was final already
        requested_on = calendar_day(contract.terminated_at, settings.zone)
        fee = await quote_for(uow, settings, contract, end_date=contract.end_date, requested_on=requested_on)
        contract.termination_fee = fee.total
        contract.termination_fee_excl_vat = fee.amount_excl_vat
        contract.termination_fee_basis = fee.basis.value
        contract.termination_fee_final = True
        ContractEvents(uow.session).record(
            contract.id, "final_fee", now, fee=str(fee.total), fee_basis=fee.basis.value
        )
        _announce(uow, settings, contract, fee, final=True)
    await uow.commit()
    return len(due)


async def adjust_fee(
    uow: UnitOfWork,
    settings: ContractsSettings,
    *,
    contract_id: str,
    amount_excl_vat: Decimal | None,
    reason: str,
    operator: str,
    now: datetime,
) -> Contract:
    """Operations lower (``amount_excl_vat``) or waive (None) the fee of a contract being
    terminated, before the final fee is announced. Kept in the contract's history."""
    contract = await any_contract(uow, contract_id)
    if contract.status != "terminating" or contract.termination_fee_final:
        raise ProblemError(
            409,
            "fee-not-adjustable",
            "Only the provisional fee of a contract being terminated can be adjusted.",
        )
    new = to_cents(amount_excl_vat) if amount_excl_vat is not None else Decimal("0.00")
    old = contract.termination_fee_excl_vat or Decimal("0.00")
    if new > old:
        raise ProblemError(
            422,
            "fee-adjustment-too-high",
            detail := f"A fee can only be lowered: the current fee is {old} excluding VAT.",
            errors=[{"field": "amount_excl_vat", "message": detail}],
        )
    contract.fee_adjusted_excl_vat = new
    contract.termination_fee_excl_vat = new
    contract.termination_fee = new + to_cents(new * settings.vat_rate)
    ContractEvents(uow.session).record(
        contract.id,
        "fee_adjusted",
        now,
        operator=operator,
        old_fee_excl_vat=str(old),
        new_fee_excl_vat=str(new),
        waived=amount_excl_vat is None,
        reason=reason,
    )
    await uow.commit()
    return contract


def _announce(
    uow: UnitOfWork, settings: ContractsSettings, contract: Contract, fee: FeeQuote, *, final: bool
) -> None:
    assert contract.end_date is not None and contract.termination_reason is not None
    uow.emit(
        ContractTerminated(
            contract_id=contract.id,
            customer_number=contract.customer_number,
            end_date=contract.end_date,
            reason=contract.termination_reason,
            termination_fee=fee.total,
            # The same fee split for billing's invoice line: the amount the formula gives
            # and the VAT rate it added (total = excl + excl x rate, each rounded to the cent).
            termination_fee_excl_vat=fee.amount_excl_vat,
            termination_fee_vat_rate=settings.vat_rate,
            fee_is_final=final,
        ),
        subject=contract.id,
    )
