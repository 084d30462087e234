"""``python -m contracts serve | migrate | asyncapi | create-contract | issue-registration-code |
import-catalogue | confirm-contract-requests | activate-due-contracts | end-due-contracts |
propose-renewals``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from contracts.app import create_app
from contracts.domain.errors import DomainError
from contracts.settings import ContractsSettings
from contracts.use_cases.catalogue import import_catalogue, read_catalogue
from contracts.use_cases.contract_requests import activate_due_contracts, confirm_requests
from contracts.use_cases.create_contract import CustomerDetails, create_contract
from contracts.use_cases.registration_codes import MAX_VALID_DAYS, issue_registration_code
from contracts.use_cases.renewals import propose_renewals
from contracts.use_cases.terminate_contract import end_due_contracts
from portal_chassis.calendar import calendar_day
from portal_chassis.cli import run, run_in_unit_of_work, today_arg
from portal_chassis.problems import ProblemError
from portal_chassis.sealing import Sealer, SealingError
from portal_chassis.uow import UnitOfWork

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def _create_contract_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--customer-number", required=True)
    parser.add_argument("--name", required=True, help="customer's name (used if the customer is new)")
    parser.add_argument("--commodity", required=True, choices=["electricity", "gas", "heat"])
    parser.add_argument("--product-code", required=True)
    parser.add_argument(
        "--supply-postcode",
        required=True,
        help="Dutch postcode of the connection supplied, e.g. 1234AB (1234 ab is accepted too)",
    )
    parser.add_argument("--start-date", required=True, type=date.fromisoformat)
    parser.add_argument(
        "--fixed-term-end",
        type=date.fromisoformat,
        help="last day of the fixed term; leave out for an indefinite variable contract",
    )
    parser.add_argument(
        "--concluded-on",
        type=date.fromisoformat,
        help="day the contract was concluded (starts the withdrawal period); "
        "default: today, or the start date if that is earlier",
    )
    # Customer data: left out, a new customer gets the default and a known one keeps theirs;
    # given, it replaces what is stored (and the customer is announced again).
    parser.add_argument(
        "--billing-postcode",
        help="Dutch postcode of the customer's billing address; default: none (new customer) "
        "or unchanged (known customer)",
    )
    parser.add_argument(
        "--language",
        choices=["nl", "en", "fr", "de"],
        help="default: nl (new customer) or unchanged (known customer)",
    )
    parser.add_argument(
        "--meter-location",
        choices=["indoors", "outdoors", "unknown"],
        default="unknown",
        help="where the meter is; self-reading needs it indoors (default unknown)",
    )
    parser.add_argument(
        "--ean",
        help="18-digit EAN code of the connection (metering and the grid operator's data find the "
        "contract by it); default: not known",
    )
    for flag, unit in ANNUAL_FLAGS.items():
        parser.add_argument(f"--{flag}", type=_volume, metavar=unit.upper(), help=f"expected {unit} per year")
    parser.add_argument(
        "--segment",
        choices=["private", "business"],
        help="default: private (new customer) or unchanged (known customer)",
    )


# --annual-... flags and the unit each takes (the registers: _annual_consumption)
ANNUAL_FLAGS = {
    "annual-kwh": "kWh (single register)",
    "annual-kwh-normal": "kWh (normal tariff)",
    "annual-kwh-off-peak": "kWh (off-peak tariff)",
    "annual-m3": "m3 (gas, or hot tap water of a heat contract)",
    "annual-gj": "GJ (heat)",
}


def _volume(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError("an annual volume is 0 or more")
    return value


def _annual_consumption(args: argparse.Namespace) -> dict[str, Decimal]:
    """The catalogue registers the given volumes are for (the m3 flag depends on the commodity)."""
    m3_register = "hot_water" if args.commodity == "heat" else "gas"
    given = {
        "electricity_single": args.annual_kwh,
        "electricity_normal": args.annual_kwh_normal,
        "electricity_offpeak": args.annual_kwh_off_peak,
        m3_register: args.annual_m3,
        "heat": args.annual_gj,
    }
    return {register: volume for register, volume in given.items() if volume is not None}


def _create_contract(args: argparse.Namespace) -> int:
    settings = ContractsSettings()
    now = datetime.now(UTC)
    # A new customer's name travels sealed to billing; without a key it is not sent at all.
    key = settings.event_sealing_key
    try:
        sealer = None if key is None else Sealer(key.get_secret_value())
    except SealingError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    concluded_on = args.concluded_on or min(calendar_day(now, settings.zone), args.start_date)

    async def work(uow: UnitOfWork) -> int:
        contract = await create_contract(
            uow,
            customer=CustomerDetails(
                customer_number=args.customer_number,
                name=args.name,
                language=args.language,
                segment=args.segment,
                billing_postcode=args.billing_postcode,
            ),
            commodity=args.commodity,
            product_code=args.product_code,
            supply_postcode=args.supply_postcode,
            start_date=args.start_date,
            fixed_term_end=args.fixed_term_end,
            concluded_on=concluded_on,
            now=now,
            meter_location=args.meter_location,
            annual_consumption=_annual_consumption(args),
            ean=args.ean,
            withdrawal_days=settings.withdrawal_days,
            sealer=sealer,
        )
        print(contract.id)  # alone on the last line: scripts and integration tests read it
        return 0

    # Refused terms exit with 2 (as argparse does for bad arguments).
    return asyncio.run(
        run_in_unit_of_work(settings, work, refusals=(DomainError, ProblemError), refused_code=2)
    )


def _issue_registration_code_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--contract-number", required=True, help="the contract's 9-digit number")
    parser.add_argument(
        "--valid-days",
        type=int,
        default=90,
        choices=range(1, MAX_VALID_DAYS + 1),
        metavar=f"1..{MAX_VALID_DAYS}",
        help="days the code works (default 90)",
    )


def _issue_registration_code(args: argparse.Namespace) -> int:
    """Prints the code for the letter (alone on the last line); a newer code replaces the older."""
    settings = ContractsSettings()
    if settings.event_sealing_key is None:
        print("EVENT_SEALING_KEY is required: the code travels sealed to identity", file=sys.stderr)
        return 2
    try:
        sealer = Sealer(settings.event_sealing_key.get_secret_value())
    except SealingError as exc:
        print(str(exc), file=sys.stderr)
        return 2

    async def work(uow: UnitOfWork) -> int:
        issued = await issue_registration_code(
            uow,
            sealer,
            contract_number=args.contract_number,
            valid_days=args.valid_days,
            now=datetime.now(UTC),
        )
        print(f"valid until {issued.expires_at.date().isoformat()}", file=sys.stderr)
        print(issued.code)
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work, refused_code=2))


def _import_catalogue_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="catalogue TOML file (format: see the README)")


def _import_catalogue(args: argparse.Namespace) -> int:
    """All or nothing; prints how many products changed (importing twice changes none)."""
    settings = ContractsSettings()

    async def work(uow: UnitOfWork) -> int:
        changed = await import_catalogue(uow, read_catalogue(args.file))
        print(f"products changed: {', '.join(changed) or 'none'}", file=sys.stderr)
        print(len(changed))
        return 0

    return asyncio.run(run_in_unit_of_work(settings, work, refusals=(DomainError,), refused_code=2))


DailyJob = Callable[[UnitOfWork, ContractsSettings, date, datetime], Awaitable[None]]


def _daily(job: DailyJob) -> Callable[[argparse.Namespace], int]:
    """A daily job as a command: one unit of work for ``--today``. Each job is safe to run
    twice and prints what it did, its count alone on the last line."""

    def command(args: argparse.Namespace) -> int:
        settings = ContractsSettings()
        now = datetime.now(UTC)
        today = args.today or calendar_day(now, settings.zone)

        async def work(uow: UnitOfWork) -> int:
            await job(uow, settings, today, now)
            return 0

        return asyncio.run(run_in_unit_of_work(settings, work))

    return command


async def _confirm_contract_requests(
    uow: UnitOfWork, settings: ContractsSettings, today: date, now: datetime
) -> None:
    """Confirms or refuses every pending portal request."""
    confirmed, refused = await confirm_requests(uow, settings, today=today, now=now)
    print(f"refused: {refused}", file=sys.stderr)
    print(confirmed)


async def _activate_due_contracts(
    uow: UnitOfWork, settings: ContractsSettings, today: date, now: datetime
) -> None:
    """Confirmed contracts whose start date has come become active."""
    print(await activate_due_contracts(uow, today=today, now=now))


async def _end_due_contracts(
    uow: UnitOfWork, settings: ContractsSettings, today: date, now: datetime
) -> None:
    """Terminating contracts whose last day has passed end, with the final fee."""
    print(await end_due_contracts(uow, settings, today=today, now=now))


async def _propose_renewals(uow: UnitOfWork, settings: ContractsSettings, today: date, now: datetime) -> None:
    """One proposal per contract and fixed term; ended terms roll over."""
    done = await propose_renewals(uow, settings, today=today, now=now)
    print(f"rolled over to indefinite: {done.rolled_over}", file=sys.stderr)
    print(done.proposed)


def main(argv: list[str] | None = None) -> int:
    code: int = run(
        create_app=create_app,
        settings=ContractsSettings,
        migrations_dir=MIGRATIONS,
        commands={
            "create-contract": (
                "create a contract (and the customer if new); prints the contract id",
                _create_contract,
                _create_contract_args,
            ),
            "import-catalogue": (
                "import products and tariff periods from a TOML file; prints how many changed",
                _import_catalogue,
                _import_catalogue_args,
            ),
            "issue-registration-code": (
                "issue a registration code for a contract's letter; prints the code",
                _issue_registration_code,
                _issue_registration_code_args,
            ),
            "end-due-contracts": (
                "end terminating contracts whose last day passed, with the final fee; prints how many",
                _daily(_end_due_contracts),
                today_arg,
            ),
            "propose-renewals": (
                "propose renewals for fixed terms ending soon, roll ended ones over; prints proposals",
                _daily(_propose_renewals),
                today_arg,
            ),
            "confirm-contract-requests": (
                "confirm pending contract requests, refuse those failing the checks; prints confirmed",
                _daily(_confirm_contract_requests),
                today_arg,
            ),
            "activate-due-contracts": (
                "activate confirmed contracts whose start date has come; prints how many",
                _daily(_activate_due_contracts),
                today_arg,
            ),
        },
        argv=argv,
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
