"""Demo data for a local try-out (``make run``): never loaded in production.

Every loader is idempotent: running ``make run`` again adds nothing twice.
"""
from __future__ import annotations

from collections.abc import Iterator


def load() -> Iterator[str]:
    """Load the demo data and yield lines to print (such as demo log-ins)."""
    yield "Demo data: nothing to add yet."
