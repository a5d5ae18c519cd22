"""The minute job: offers that lapse, reminders, sessions that end, personal data that goes.

``tick`` is the only course function that commits: it is the work of a command run every minute,
and each change is its own short transaction.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update
from sqlalchemy.exc import OperationalError

from portal.courses import notifications
from portal.courses.exceptions import Busy
from portal.courses.models import (
    BookingLink,
    CourseSession,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from portal.courses.places import (
    availabilities,
    end_registration,
    fill_places,
    is_busy_error,
    lock_session,
)
from portal.db import utcnow
from portal.extensions import db
from portal.times import BRUSSELS

#: The reminder leaves at this hour (Brussels time) on the day before the first date.
REMINDER_TIME = time(10, 0)


@dataclass
class TickReport:
    expired: int = 0
    offered: int = 0
    reminded: int = 0
    finished: int = 0
    erased: int = 0
    #: Sessions left for the next run because another transaction held them.
    busy: int = 0


def reminder_time(starts_at: datetime) -> datetime:
    """10:00 in Brussels on the day before the first date."""
    day = starts_at.astimezone(BRUSSELS).date() - timedelta(days=1)
    return datetime.combine(day, REMINDER_TIME, BRUSSELS)


def tick(now: datetime | None = None) -> TickReport:
    """Expire offers and make new ones, remind, finish sessions, erase old personal data.

    Safe every minute and twice at once: each change is made under the session's lock (or the
    registration's, for reminders) after reading the row again, in its own short transaction.
    """
    now = now or utcnow()
    report = TickReport()
    _expire_and_offer(now, report)
    _remind(now, report)
    _finish(now, report)
    _erase(now, report)
    return report


def _per_session(ids: Iterable[int], report: TickReport, work: Any) -> None:
    for session_id in ids:
        try:
            session = lock_session(session_id)
            if session is not None:
                work(session)
            db.session.commit()
        except Busy:
            db.session.rollback()
            report.busy += 1


def _expire_and_offer(now: datetime, report: TickReport) -> None:
    lapsed = select(Registration.session_id).where(
        Registration.status == RegistrationStatus.OFFERED, Registration.offer_expires_at <= now)
    ids = set(db.session.scalars(lapsed))
    # Places free while people wait: a capacity raised, or an offer that could not be made.
    waiting = select(Registration.session_id).where(
        Registration.status == RegistrationStatus.WAITING)
    sessions = list(db.session.scalars(select(CourseSession).where(
        CourseSession.status == SessionStatus.OPEN, CourseSession.starts_at > now,
        CourseSession.id.in_(waiting))))
    seats = availabilities(sessions)
    ids |= {s.id for s in sessions if seats[s.id].taken < s.capacity}
    db.session.commit()  # end the reading transaction (SQLite: release the write lock)

    def work(session: CourseSession) -> None:
        rows = db.session.scalars(select(Registration).where(
            Registration.session_id == session.id,
            Registration.status == RegistrationStatus.OFFERED,
            Registration.offer_expires_at <= now).execution_options(populate_existing=True)).all()
        for registration in rows:
            end_registration(registration, RegistrationStatus.EXPIRED, now)
        report.expired += len(rows)
        db.session.flush()
        report.offered += len(fill_places(session, now))

    _per_session(sorted(ids), report, work)


def _remind(now: datetime, report: TickReport) -> None:
    # Coarse in SQL (sessions starting within two days), exact in Python (Brussels calendar).
    candidates = (select(Registration)
                  .join(CourseSession, Registration.session_id == CourseSession.id)
                  .where(Registration.status == RegistrationStatus.CONFIRMED,
                         Registration.reminded_at.is_(None),
                         Registration.email.is_not(None),
                         CourseSession.status == SessionStatus.OPEN,
                         CourseSession.starts_at > now,
                         CourseSession.starts_at <= now + timedelta(days=2))
                  .order_by(Registration.id)
                  # Another tick sending the same reminders passes over the rows it holds, and
                  # re-reads the others: one reminder per person, whoever sends it.
                  .with_for_update(of=Registration, skip_locked=True)
                  .execution_options(populate_existing=True))
    try:
        rows = db.session.scalars(candidates).all()
    except OperationalError as error:
        db.session.rollback()
        if is_busy_error(error):
            report.busy += 1
            return
        raise
    for registration in rows:
        due = reminder_time(registration.session.starts_at)
        # Confirmed after the reminder time: the confirmation just sent says it all.
        if due <= now and registration.confirmed_at is not None and registration.confirmed_at < due:
            registration.reminded_at = now
            notifications.send(registration, "course_reminder", with_link=True)
            report.reminded += 1
    db.session.commit()


def _finish(now: datetime, report: TickReport) -> None:
    ids = list(db.session.scalars(select(CourseSession.id).where(
        CourseSession.status == SessionStatus.OPEN, CourseSession.ends_at <= now)))
    db.session.commit()

    def work(session: CourseSession) -> None:
        if session.status != SessionStatus.OPEN:
            return  # the other tick did it
        session.status = SessionStatus.FINISHED
        # Over: the same person may sign up again for a later course of this type.
        db.session.execute(update(Registration).where(Registration.session_id == session.id)
                           .values(active_key=None))
        report.finished += 1

    _per_session(ids, report, work)


def _erase(now: datetime, report: TickReport) -> None:
    limit = now - timedelta(days=int(current_app.config["COURSE_RETENTION_DAYS"]))
    ids = list(db.session.scalars(select(CourseSession.id).where(
        CourseSession.status.in_((SessionStatus.FINISHED, SessionStatus.CANCELLED)),
        CourseSession.erased_at.is_(None), CourseSession.ends_at <= limit)))
    db.session.commit()

    def work(session: CourseSession) -> None:
        if session.erased_at is not None:
            return
        erase_personal_data(session, now)
        report.erased += 1

    _per_session(ids, report, work)


def erase_personal_data(session: CourseSession, now: datetime) -> None:
    """Empty the registrants' personal fields and links; statuses, purposes, attendance stay."""
    registration_ids = select(Registration.id).where(Registration.session_id == session.id)
    db.session.execute(delete(BookingLink).where(BookingLink.registration_id.in_(registration_ids)))
    db.session.execute(update(Registration).where(Registration.session_id == session.id).values(
        name=None, email=None, phone=None, promotion_reason=None, active_key=None,
        submission_key=None, erased_at=now))
    session.erased_at = now
    db.session.flush()
    db.session.expire_all()
