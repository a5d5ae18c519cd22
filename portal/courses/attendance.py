"""Presence per day of a session, and what the attestation may then state.

A multi-day session is checked in day by day: one ``Attendance`` row per registration and
session day. ``Registration.attended`` stays as a summary (present on at least one day) for the
figures that outlive the personal data.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from portal.courses.exceptions import Invalid
from portal.courses.models import (
    Attendance,
    AttestationRule,
    CourseSession,
    CourseSessionDate,
    Registration,
    RegistrationStatus,
)
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import _
from portal.times import BRUSSELS


def day_for(session: CourseSession, now: datetime | None = None) -> CourseSessionDate | None:
    """The day check-in is about by default: today's, else the last one begun, else the first."""
    now = now or utcnow()
    dates = list(session.dates)
    if not dates:
        return None
    today = now.astimezone(BRUSSELS).date()
    for day in dates:
        if day.starts_at.astimezone(BRUSSELS).date() == today:
            return day
    begun = [day for day in dates if day.starts_at <= now]
    return begun[-1] if begun else dates[0]


def check_in(registration: Registration, attended: bool, now: datetime | None = None,
             day: CourseSessionDate | None = None) -> None:
    """Record presence or absence on one day (the default day when ``day`` is None)."""
    now = now or utcnow()
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Invalid({"registration": _("Only a confirmed participant can be marked present or absent.")})
    session = registration.session
    day = day or day_for(session, now)
    if day is None or day.session_id != session.id:
        raise Invalid({"day": _("Choose one of the days of the session.")})
    row = db.session.scalar(select(Attendance).where(
        Attendance.registration_id == registration.id, Attendance.session_date_id == day.id))
    if row is None:
        row = Attendance(registration_id=registration.id, session_date_id=day.id)
        db.session.add(row)
    row.attended = attended
    row.checked_in_at = now
    db.session.flush()
    db.session.refresh(registration, ["attendance"])
    recorded = [a.attended for a in registration.attendance]
    registration.attended = any(recorded) if recorded else None
    registration.checked_in_at = now
    db.session.flush()


def by_day(session: CourseSession) -> dict[tuple[int, int], bool]:
    """(registration id, session date id) -> present, for every recorded day of the session."""
    rows = db.session.execute(
        select(Attendance.registration_id, Attendance.session_date_id, Attendance.attended)
        .join(CourseSessionDate, CourseSessionDate.id == Attendance.session_date_id)
        .where(CourseSessionDate.session_id == session.id)).all()
    return {(registration_id, date_id): attended for registration_id, date_id, attended in rows}


def days_attended(registration: Registration) -> list[CourseSessionDate]:
    """The session days the person was recorded present on, in order."""
    present = {a.session_date_id for a in registration.attendance if a.attended}
    return [day for day in registration.session.dates if day.id in present]


def attestation_days(registration: Registration) -> list[CourseSessionDate]:
    """The days an attestation states, following the session's rule; raises Invalid if none.

    ``ALL_DAYS``: every day of the session, and only for someone present on each of them.
    ``DAYS_ATTENDED``: the days the person was present on (at least one).
    """
    days = days_attended(registration)
    if registration.name is None or not days:
        raise Invalid({"registration": _("Only a participant recorded as present gets an attestation.")})
    session = registration.session
    if session.attestation_rule == AttestationRule.DAYS_ATTENDED:
        return days
    if len(days) < len(session.dates):
        raise Invalid({"registration": _("This session gives an attestation only to someone present "
                                         "on every date.")})
    return list(session.dates)


def may_have_attestation(registration: Registration) -> bool:
    """Whether ``attestation_days`` would give days (for links on the organiser's pages)."""
    try:
        attestation_days(registration)
    except Invalid:
        return False
    return True
