"""Ending a contract: the customer picks the last day of supply and a reason; the fee the
conditions charge is computed, recorded and announced in one ContractTerminated event, as
the total the customer pays and split into the amount before VAT and the VAT rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm.exc import StaleDataError

from contracts.db.repositories import ContractEvents, Contracts
from contracts.db.tables import Contract
from contracts.domain.contract import check_termination
from contracts.domain.errors import ContractNotActive
from contracts.domain.termination_fee import FeeQuote, FeeTerms, termination_fee
from contracts.settings import ContractsSettings
from portal_chassis.calendar import calendar_day
from portal_chassis.problems import ProblemError
from portal_chassis.uow import UnitOfWork
from portal_schemas.contracts import ContractTerminated, TerminationReason


@dataclass(frozen=True)
class Termination:
    contract: Contract
    fee: FeeQuote


async def owned_contract(uow: UnitOfWork, customer_number: str, contract_id: str) -> Contract:
    contract = await Contracts(uow.session).of_customer(customer_number, contract_id)
    if contract is None:
        raise ProblemError(404, "contract-not-found", "There is no such contract.")
    return contract


def quote_for(contract: Contract, settings: ContractsSettings, *, end_date: date, today: date) -> FeeQuote:
    return termination_fee(
        FeeTerms(contract.commodity, contract.fixed_term_end, contract.concluded_on),
        end_date=end_date,
        requested_on=today,
        withdrawal_days=settings.withdrawal_days,
        inputs=settings.fee_inputs(contract.commodity),
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
) -> Termination:
    contract = await owned_contract(uow, customer_number, contract_id)
    today = calendar_day(now, settings.zone)
    check_termination(status=contract.status, start_date=contract.start_date, end_date=end_date, today=today)
    fee = quote_for(contract, settings, end_date=end_date, today=today)
    fee_is_final = not fee.depends_on_end_date

    contract.status = "terminating"
    contract.end_date = end_date
    contract.termination_reason = reason
    contract.termination_fee = fee.total
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
    )
    uow.emit(
        ContractTerminated(
            contract_id=contract.id,
            customer_number=contract.customer_number,
            end_date=end_date,
            reason=reason,
            termination_fee=fee.total,
            # The same fee split for billing's invoice line: the amount the formula gives
            # and the VAT rate it added (total = excl + excl x rate, each rounded to the cent).
            termination_fee_excl_vat=fee.amount_excl_vat,
            termination_fee_vat_rate=settings.vat_rate,
            fee_is_final=fee_is_final,
        ),
        subject=contract.id,
    )
    try:
        await uow.commit()
    except StaleDataError:
        # Another request terminated it between our read and our write (version check).
        raise ContractNotActive("This contract was terminated meanwhile.") from None
    return Termination(contract, fee)
