"""Runs the failure drills (or one, with ``--only``) on a stack of their own, printing each
drill's figures and a PASS/FAIL verdict; exits 1 when any drill fails.

    uv run python -m drills [--only crash|broker|replay|database|poison] [options]

In a full run, in this order, on one stack:

- crash: kill -9 of each service in turn while ``--readings`` smart-meter readings and
  ``--billing-events`` terminated contracts flow (each a final invoice and two emails);
  0 lost and 0 duplicated readings, invoices and emails, counted by id;
- broker: the Kafka broker killed and restarted while a smaller wave flows; the same proof;
- replay: every consumer group of metering, billing and notifications reset to the earliest
  offset; nothing applied twice (no count in any service changes);
- database: PostgreSQL stopped ``--outage-seconds``: 503 problems at once, /ready names the
  database, recovery without a restart;
- poison: an unreadable record on every consumed topic goes to the consumer's dead-letter
  topic with its reason, and the consumer goes on.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

from . import crash, database, poison, replay
from .common import Verdict, drill_stack, say
from .load import prepare

DRILLS = ("crash", "broker", "replay", "database", "poison")


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m drills", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=DRILLS, help="run this drill only (default: all, in this order)")
    parser.add_argument("--readings", type=int, default=100_000, help="crash drill: readings (100000)")
    parser.add_argument(
        "--billing-events", type=int, default=10_000, help="crash drill: terminations (10000)"
    )
    parser.add_argument("--wave-seconds", type=float, default=90.0, help="crash drill: load spread over (90)")
    parser.add_argument("--broker-readings", type=int, default=20_000, help="broker drill: readings (20000)")
    parser.add_argument("--broker-billing-events", type=int, default=2_000, help="broker drill (2000)")
    parser.add_argument("--broker-seconds", type=float, default=30.0, help="broker drill: wave length (30)")
    parser.add_argument("--meters", type=int, default=1_000, help="smart meters the readings are for (1000)")
    parser.add_argument("--customers", type=int, default=4, help="customers the invoices are for (4)")
    parser.add_argument("--outage-seconds", type=float, default=30.0, help="database drill (30)")
    parser.add_argument(
        "--within", type=float, default=1200.0, help="longest wait for a wave to be counted, seconds (1200)"
    )
    parser.add_argument("--log-level", default="INFO", help="the services' log level (INFO)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory (logs) afterwards")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, run_dir: Path) -> list[Verdict]:
    chosen = [args.only] if args.only else list(DRILLS)
    verdicts: list[Verdict] = []
    with drill_stack(run_dir, args.log_level) as stack:
        loaded = {"crash", "broker", "database"} & set(chosen)
        total = (args.readings if "crash" in chosen else 0) + (
            args.broker_readings if "broker" in chosen else 0
        )
        workload = prepare(
            stack, meters=args.meters, customers=args.customers if loaded else 1, total_readings=max(total, 1)
        )
        for name in chosen:
            say(f"drill {name}: starting")
            if name == "crash":
                verdict = asyncio.run(
                    crash.services_killed(
                        workload,
                        readings=args.readings,
                        terminations=args.billing_events,
                        seconds=args.wave_seconds,
                        within=args.within,
                    )
                )
            elif name == "broker":
                verdict = asyncio.run(
                    crash.broker_restarted(
                        workload,
                        readings=args.broker_readings,
                        terminations=args.broker_billing_events,
                        seconds=args.broker_seconds,
                        within=args.within,
                    )
                )
            elif name == "replay":
                verdict = replay.run(stack, within=args.within)
            elif name == "database":
                customer = workload.customers[0]
                verdict = database.run(stack, customer.email, customer.password, args.outage_seconds)
            else:
                verdict = poison.run(stack.bootstrap_servers)
            print(verdict.report(), flush=True)
            verdicts.append(verdict)
    return verdicts


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    # The drills' own Kafka clients retry by themselves while the broker is away: no warnings.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    started = time.monotonic()
    if args.keep:
        run_dir = Path(tempfile.mkdtemp(prefix="portal-drills-"))
        verdicts = run(args, run_dir)
        say(f"run directory kept: {run_dir}")
    else:
        with tempfile.TemporaryDirectory(prefix="portal-drills-") as tmp:
            verdicts = run(args, Path(tmp))
    print(f"\n== failure drills, {time.monotonic() - started:.0f}s in all")
    for verdict in verdicts:
        print(f"{'PASS' if verdict.passed else 'FAIL'}  {verdict.drill}")
    return 0 if all(v.passed for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
