"""Benchmarks, run by hand from the repository root as ``python -m benchmarks.<name>``.

Never imported by the tests; what both need lives in ``tests/`` (``tests/load/server.py``,
``tests/load/traffic.py``, ``tests/browser/live.py``). See benchmarks/README.md.
"""
