"""Benchmarks that print their figures (`make bench`); none of them asserts a time.

Every module named `*_bench.py` in this package has a `run()` that `python -m bench`
calls in turn.
"""
