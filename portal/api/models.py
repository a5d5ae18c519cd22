"""API keys: who may submit reports, and who may read the details of which municipalities."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import utcnow
from portal.extensions import Model


class Scope:
    """What a key allows. Reading without a key gives the public, coarse view to anyone."""

    SUBMIT = "submit"  #: POST requests
    READ = "read"  #: full details of the requests of the key's municipalities
    ALL = (SUBMIT, READ)


class ApiKey(Model):
    """A partner's key. The key itself is shown once when it is made and never stored."""

    __tablename__ = "api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Who the key was given to, as the operator names it on the command line; unique.
    name: Mapped[str] = mapped_column(String(80), unique=True)
    #: SHA-256 (hex) of the key: a stolen database gives no usable key. The key has 256 random
    #: bits, so a plain hash (no salt, no slow hash) is enough and lets a request find its row.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the key, so that an operator can tell keys apart in ``apikey list``.
    prefix: Mapped[str] = mapped_column(String(16))
    #: A list of ``Scope`` values.
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: NIS codes of the municipalities whose requests the key may read in full.
    municipalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set by ``apikey revoke``: the key is refused from then on (kept for the record).
    revoked_at: Mapped[datetime | None]
    #: Updated at most once a minute, so that reading does not write on every request.
    last_used_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return self.active and scope in (self.scopes or [])
