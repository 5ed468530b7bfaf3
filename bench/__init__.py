"""Benchmarks of the ledger against the database engine's own limit.

Run ``python -m bench`` (or ``make bench``); figures land in ``bench/results/``.
"""
