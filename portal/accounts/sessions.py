"""Staff sessions kept on the server: a log-in ends at log-out, after 30 minutes without a
request, at a password reset or when the account is disabled, whatever copies of its cookie
exist. The session cookie holds a random secret; the table holds only its hash."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from flask import g, session
from flask_login import logout_user
from sqlalchemy import ColumnElement, and_, delete, select, update

from portal.accounts.models import StaffSession, StaffUser
from portal.db import end_reading, utcnow, write_aside
from portal.extensions import db
from portal.tokens import hash_secret

#: A session unused this long ends, measured on the server (never on the cookie's own clock).
IDLE = timedelta(minutes=30)
#: ``last_seen_at`` is written at most this often: one short UPDATE a minute per active session.
TOUCH_EVERY = timedelta(seconds=60)
#: The key of Flask's session cookie that holds the secret of the staff session.
COOKIE_KEY = "staff_session"


def _open(now: datetime) -> ColumnElement[bool]:
    return and_(StaffSession.ended_at.is_(None), StaffSession.last_seen_at > now - IDLE)


def start(user_id: int) -> str:
    """Open a session at a complete log-in; returns the secret for the cookie.

    The account's sessions that ended or went idle are forgotten here, so the table holds
    about one row per person and device.
    """
    now = utcnow()
    db.session.execute(delete(StaffSession).where(StaffSession.user_id == user_id, ~_open(now)))
    secret = secrets.token_urlsafe(32)
    db.session.add(StaffSession(user_id=user_id, token_hash=hash_secret(secret), created_at=now,
                                last_seen_at=now))
    db.session.flush()
    return secret


def find(secret: str | None) -> StaffSession | None:
    """The open session of this secret, unless it ended or went idle."""
    if not isinstance(secret, str) or not secret or len(secret) > 100:
        return None
    return db.session.scalar(select(StaffSession).where(
        StaffSession.token_hash == hash_secret(secret), _open(utcnow())))


def end(secret: str | None) -> None:
    """End this session (log-out): its cookie, and every copy of it, opens nothing any more."""
    if isinstance(secret, str) and secret:
        db.session.execute(update(StaffSession).where(
            StaffSession.token_hash == hash_secret(secret), StaffSession.ended_at.is_(None))
            .values(ended_at=utcnow()).execution_options(synchronize_session=False))


def end_sessions(user_id: int, *, keep: int | None = None) -> int:
    """End every open session of an account (but ``keep``); returns how many ended."""
    statement = update(StaffSession).where(StaffSession.user_id == user_id,
                                           StaffSession.ended_at.is_(None))
    if keep is not None:
        statement = statement.where(StaffSession.id != keep)
    result = db.session.execute(statement.values(ended_at=utcnow())
                                .execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def open_sessions(user_id: int) -> list[StaffSession]:
    """The account's open sessions, the most recently used first."""
    return list(db.session.scalars(select(StaffSession).where(
        StaffSession.user_id == user_id, _open(utcnow())).order_by(StaffSession.last_seen_at.desc(),
                                                                   StaffSession.id.desc())))


def check_request() -> None:
    """Before each request that carries a staff log-in: keep it only if its session is open.

    A closed or idle session logs the request out (and clears the cookie). Activity is written
    at most once a minute, in a short transaction of its own (``write_aside``): on SQLite a
    reading request cannot write, and the idle limit must count reading requests too.
    """
    found = find(session.get(COOKIE_KEY))
    if found is None or str(found.user_id) != session.get("_user_id"):
        logout_user()
        session.pop(COOKIE_KEY, None)
        return
    g.staff_session = (found.id, found.user_id)
    now = utcnow()
    if found.last_seen_at <= now - TOUCH_EVERY:
        end_reading()  # SQLite: the request's own transaction must not hold the write lock
        with write_aside() as connection:
            connection.execute(update(StaffSession).where(
                StaffSession.id == g.staff_session[0], _open(now),
                StaffSession.last_seen_at <= now - TOUCH_EVERY).values(last_seen_at=now))


def current_id() -> int | None:
    """The id of this request's staff session, once ``check_request`` found it open."""
    opened = g.get("staff_session")
    return opened[0] if opened else None


def request_user(user_id: str) -> StaffUser | None:
    """Flask-Login's user loader: the active account whose session ``check_request`` found open."""
    opened = g.get("staff_session")
    if opened is None or str(opened[1]) != user_id:
        return None
    user = db.session.get(StaffUser, opened[1])
    return user if user is not None and user.active else None
