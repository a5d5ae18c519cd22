"""Secrets given to people (links, codes, API keys): only their hash is ever stored."""
from __future__ import annotations

import hashlib


def hash_secret(secret: str) -> str:
    """SHA-256 of a secret: enough for random tokens of 128 bits or more (no salt needed,
    nothing to guess); what the database holds cannot be used as the link itself."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
