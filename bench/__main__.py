"""Runs every benchmark of the suite and prints its figures."""

from __future__ import annotations

import sys

from bench import outbox_pipeline


def main() -> int:
    outbox_pipeline.main(sys.argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main())
