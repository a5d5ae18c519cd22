"""Private links to a booking: the only key a registrant needs (no account, no password)."""
from __future__ import annotations

import secrets

from sqlalchemy import select

from portal.courses.models import BookingLink, Registration
from portal.extensions import db
from portal.tokens import hash_secret


def new_link(registration: Registration) -> str:
    """A new private link to the booking; returns its secret (192 bits), stores its hash."""
    secret = secrets.token_urlsafe(24)
    registration.links.append(BookingLink(token_hash=hash_secret(secret)))
    db.session.flush()
    return secret


def find_by_token(token: str) -> Registration | None:
    """The registration of a private link."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Registration).join(BookingLink)
                             .where(BookingLink.token_hash == hash_secret(token)))
