"""One person across the sessions of one course: one place at most, any number of waiting lists.

``Registration.active_key`` is unique. A registration that holds a place (offered or
confirmed) carries the *holding key* of its course type and e-mail address, so an address holds
at most one place per course type. A registration on a waiting list carries a *waiting key*
that also names its session: the same address may wait for several sessions, once each, and
still take a free place in another one. When a place is taken, the person's other waiting
entries for that course end in the same transaction (one conditional ``UPDATE``).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import aliased

from portal.courses.models import CourseSession, Registration, RegistrationStatus
from portal.extensions import db
from portal.tokens import hash_secret


def holding_key(course_type_code: str, email: str) -> str:
    """The key of the one place an e-mail address may hold in a course type."""
    return hash_secret(f"{course_type_code}\n{email.strip().lower()}")


def waiting_key(course_type_code: str, email: str, session_id: int) -> str:
    """The key of an address's place on one session's waiting list."""
    return hash_secret(f"{course_type_code}\n{email.strip().lower()}\nwaiting\n{session_id}")


def holds_elsewhere(session: CourseSession):  # type: ignore[no-untyped-def]
    """SQL condition: the waiting ``Registration`` row's address holds a place of this course."""
    other = aliased(Registration)
    other_session = aliased(CourseSession)
    return exists(
        select(other.id).join(other_session, other.session_id == other_session.id)
        .where(other_session.course_type_code == session.course_type_code,
               other.status.in_(RegistrationStatus.HOLDING),
               other.id != Registration.id,
               func.lower(other.email) == func.lower(Registration.email)))


def holds_place_elsewhere(registration: Registration) -> bool:
    """Whether the registration's address holds a place in another session of the course."""
    return bool(db.session.scalar(select(
        holds_elsewhere(registration.session)).where(Registration.id == registration.id)))


def take_place(registration: Registration, now: datetime) -> int:
    """The registration now holds a place: give it the holding key and end the person's other
    waiting entries for this course type. Returns how many waiting entries ended.

    Call it under the registration's session lock. The other sessions' waiting lists only
    shrink, which frees no place there, so their locks are not needed; the ``UPDATE`` is
    conditional on ``status = 'waiting'``, so an entry that another transaction just turned
    into an offer is left alone (and the unique holding key refuses the second place).
    """
    session = registration.session
    assert registration.email is not None
    registration.active_key = holding_key(session.course_type_code, registration.email)
    same_course = select(CourseSession.id).where(
        CourseSession.course_type_code == session.course_type_code)
    result = db.session.execute(
        update(Registration)
        .where(Registration.id != registration.id,
               Registration.status == RegistrationStatus.WAITING,
               Registration.session_id.in_(same_course),
               func.lower(Registration.email) == registration.email.strip().lower())
        .values(status=RegistrationStatus.PLACE_ELSEWHERE, ended_at=now, active_key=None)
        .execution_options(synchronize_session=False))
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)  # a CursorResult for an UPDATE
