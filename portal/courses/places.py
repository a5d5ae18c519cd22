"""Places in a session: how many are free, who holds one, and the lock that guards them.

Capacity is guarded by a lock on the session's row: every change to who holds a place starts
with ``lock_session``. On PostgreSQL that is ``SELECT … FOR UPDATE`` under a short
``lock_timeout``; on SQLite every writing transaction is ``BEGIN IMMEDIATE`` (see
``portal/db.py``), so writers already take turns. Counting places and inserting the new row then
happen while nobody else can, which is what makes overbooking impossible.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from portal.courses import notifications
from portal.courses.exceptions import Busy
from portal.courses.models import (
    CourseSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from portal.courses.waiting import holding_key, holds_elsewhere
from portal.db import utcnow
from portal.extensions import db

#: How long a sign-up waits for a session's lock on PostgreSQL before it is told to try again.
#: ``COURSE_LOCK_TIMEOUT_MS`` in the app config overrides it (tests use a short one).
LOCK_TIMEOUT_MS = 5000
#: An offer always ends this long before the start, so that whoever accepts can still get there.
OFFER_ENDS_BEFORE_START = timedelta(minutes=30)
#: No offer shorter than this is made: a place freed later stays free.
SHORTEST_OFFER = timedelta(minutes=30)


@dataclass(frozen=True)
class Availability:
    """How many places a session has, holds and has waiting; "full" is derived from it."""

    capacity: int
    #: Confirmed and offered registrations.
    taken: int
    waiting: int

    @property
    def places_left(self) -> int:
        """Places a new sign-up can have now: none while someone is waiting (they come first)."""
        return 0 if self.waiting else max(0, self.capacity - self.taken)

    @property
    def is_full(self) -> bool:
        """No place for a newcomer: they join the waiting list."""
        return self.places_left == 0


def _counts() -> tuple[Any, Any]:
    taken = func.count(Registration.id).filter(Registration.status.in_(RegistrationStatus.HOLDING))
    waiting = func.count(Registration.id).filter(Registration.status == RegistrationStatus.WAITING)
    return taken, waiting


def availabilities(sessions: Iterable[CourseSession]) -> dict[int, Availability]:
    """Availability of several sessions in one query (lists)."""
    sessions = list(sessions)
    taken, waiting = _counts()
    rows = db.session.execute(
        select(Registration.session_id, taken, waiting)
        .where(Registration.session_id.in_([s.id for s in sessions]))
        .group_by(Registration.session_id)).all()
    found = {row[0]: (row[1], row[2]) for row in rows}
    return {s.id: Availability(s.capacity, *found.get(s.id, (0, 0))) for s in sessions}


def availability(session: CourseSession) -> Availability:
    """Availability of one session (exact when called under its lock)."""
    return availabilities([session])[session.id]


def accepts_sign_ups(session: CourseSession, now: datetime | None = None) -> bool:
    """Open and not started yet."""
    return session.status == SessionStatus.OPEN and session.starts_at > (now or utcnow())


def _lock_timeout_ms() -> int:
    return int(current_app.config.get("COURSE_LOCK_TIMEOUT_MS", LOCK_TIMEOUT_MS))


def is_busy_error(error: Exception) -> bool:
    """A lock or a connection that could not be had in time.

    PostgreSQL's lock timeout (55P03), SQLite's "database is locked" after its busy timeout,
    and the connection pool's own timeout when a burst of sign-ups holds every connection.
    """
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, OperationalError):
        return False
    return (getattr(error.orig, "sqlstate", None) == "55P03"
            or "database is locked" in str(error.orig))


def lock_session(session_id: int) -> CourseSession | None:
    """Take the session's row lock for the rest of the transaction, and read it fresh.

    Raises Busy when other transactions hold it longer than the lock timeout; the caller
    rolls back and asks the person to try again.
    """
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            # Only for this transaction: a sign-up waits a few seconds, never indefinitely.
            db.session.execute(select(func.set_config("lock_timeout", f"{_lock_timeout_ms()}ms",
                                                      True)))
        return db.session.scalar(
            select(CourseSession).where(CourseSession.id == session_id)
            .with_for_update(of=CourseSession)
            .execution_options(populate_existing=True))
    except (OperationalError, PoolTimeoutError) as error:
        if is_busy_error(error):
            raise Busy from error
        raise


P = ParamSpec("P")
R = TypeVar("R")


def busy_on_lock_timeout(function: Callable[P, R]) -> Callable[P, R]:
    """Any lock timeout in a service becomes Busy, so the person is asked to try again."""
    # Not only the session's row: a registration row held by ``tick``'s reminders, or a
    # unique-index entry that another sign-up is inserting, can make a statement wait too.

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except (OperationalError, PoolTimeoutError) as error:
            if is_busy_error(error):
                raise Busy from error
            raise

    return wrapper


def lock_registration(registration: Registration) -> CourseSession:
    """Lock the registration's session, then read the registration again under that lock."""
    session = lock_session(registration.session_id)
    assert session is not None  # sessions are never deleted
    db.session.refresh(registration)
    return session


def waiting_position(registration: Registration) -> int | None:
    """1 for the first person waiting; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    return db.session.scalar(select(func.count(Registration.id)).where(
        Registration.session_id == registration.session_id,
        Registration.status == RegistrationStatus.WAITING,
        Registration.id <= registration.id))


def offer_deadline(starts_at: datetime, now: datetime) -> datetime:
    """Until when a freed place is held for the person it is offered to.

    48 hours when the course is more than a week away, 24 hours when it is two to seven days
    away, 4 hours within two days; always ending half an hour before the start.
    """
    lead = starts_at - now
    if lead > timedelta(days=7):
        window = timedelta(hours=48)
    elif lead > timedelta(days=2):
        window = timedelta(hours=24)
    else:
        window = timedelta(hours=4)
    return min(now + window, starts_at - OFFER_ENDS_BEFORE_START)


def fill_places(session: CourseSession, now: datetime) -> list[Registration]:
    """Offer each free place to the next person waiting. Call it under the session's lock."""
    if session.status != SessionStatus.OPEN:
        return []
    deadline = offer_deadline(session.starts_at, now)
    if deadline - now < SHORTEST_OFFER:
        return []
    seats = availability(session)
    free = session.capacity - seats.taken
    if free <= 0 or not seats.waiting:
        return []
    offered = list(db.session.scalars(
        select(Registration)
        .where(Registration.session_id == session.id,
               Registration.status == RegistrationStatus.WAITING,
               # Who holds a place in another session of the course waits on here: offered
               # that place, they would hold two.
               ~holds_elsewhere(session))
        .order_by(Registration.id).limit(free)
        .execution_options(populate_existing=True)))
    for registration in offered:
        registration.status = RegistrationStatus.OFFERED
        registration.offered_at = now
        registration.offer_expires_at = deadline
        if registration.email is not None:
            # An offer holds a place; the other waiting entries end only when it is accepted.
            registration.active_key = holding_key(session.course_type_code, registration.email)
    db.session.flush()
    for registration in offered:
        notifications.send(registration, "course_offer", with_link=True)
    return offered


def end_registration(registration: Registration, status: str, now: datetime) -> None:
    """A registration leaves the session: it no longer blocks another booking of this type."""
    registration.status = status
    registration.ended_at = now
    registration.active_key = None
