"""Benchmarks: scripts run with `python -m bench.NAME` that print figures (see bench/README.md)."""
