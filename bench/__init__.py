"""Benchmarks: `make bench` (or `uv run python -m bench`) prints the figures."""
