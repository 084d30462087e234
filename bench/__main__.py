"""Runs every benchmark of the suite (or one, with ``--only``) and prints its figures.

    uv run python -m bench [--only login|pipeline|ingestion|queries|billing|documents|notifications|e2e]
                           [options of the benchmarks run]

Without ``--only`` the log-in benchmark runs first, then the event pipeline, then the
smart-meter feed ingestion, then the consumption queries, then the billing run, then the invoice
PDF renders, then notifications' email renders, campaign queuing and sending, then the
end-to-end latency from a reading to its invoice email on the whole suite. Only the selected
benchmarks are imported, so ``--only pipeline`` does not need identity to import.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Name -> module, in the run order of a full run: the short in-process one first. Each module
# has add_arguments(parser) and run_with(args).
BENCHMARKS = {
    "login": "bench.login_latency",
    "pipeline": "bench.outbox_pipeline",
    "ingestion": "bench.metering_ingestion",
    "queries": "bench.metering_queries",
    "billing": "bench.billing",
    "documents": "bench.billing_documents",
    "notifications": "bench.notifications",
    "e2e": "bench.e2e_latency",
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", choices=list(BENCHMARKS), help="run this benchmark only (default: all)")
    first = argparse.ArgumentParser(add_help=False)  # --help waits until all options are known
    first.add_argument("--only", choices=list(BENCHMARKS))
    only = first.parse_known_args(argv)[0].only
    modules = {
        name: importlib.import_module(module) for name, module in BENCHMARKS.items() if only in (None, name)
    }
    for module in modules.values():
        module.add_arguments(parser)
    args = parser.parse_args(argv)
    for name, module in modules.items():
        print(f"== {name} ==", flush=True)
        module.run_with(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
