"""What residents can find: the course types and the sessions still to come."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.orm import selectinload

from portal.courses.models import CourseSession, CourseType, SessionStatus
from portal.courses.places import availabilities
from portal.courses.reference import COURSE_TYPES
from portal.db import CommittedQuery, insert_missing, utcnow
from portal.extensions import db
from portal.times import BRUSSELS


def sync_course_types() -> int:
    """Insert the shipped course types that are missing; never overwrite an organiser's edit."""
    return insert_missing(CourseType, COURSE_TYPES)


def active_course_types() -> list[CourseType]:
    """The course types residents can filter on, in their shipped order."""
    return list(db.session.scalars(
        select(CourseType).where(CourseType.active.is_(True)).order_by(CourseType.position)))


@dataclass
class Filters:
    """The residents' list filters; empty values mean "any"."""

    course_type: str = ""
    municipality: str = ""
    language: str = ""
    on_or_after: date | None = None


def upcoming_sessions(filters: Filters | None = None, now: datetime | None = None,
                      limit: int = 100) -> list[CourseSession]:
    """Open sessions that have not started, soonest first."""
    filters = filters or Filters()
    now = now or utcnow()
    query = (select(CourseSession)
             .where(CourseSession.status == SessionStatus.OPEN, CourseSession.starts_at > now)
             .options(selectinload(CourseSession.dates))
             .order_by(CourseSession.starts_at, CourseSession.id).limit(limit))
    if filters.course_type:
        query = query.where(CourseSession.course_type_code == filters.course_type)
    if filters.municipality:
        query = query.where(CourseSession.municipality_nis == filters.municipality)
    if filters.language:
        query = query.where(CourseSession.language == filters.language)
    if filters.on_or_after:
        start = datetime.combine(filters.on_or_after, time(0), BRUSSELS)
        query = query.where(CourseSession.starts_at >= start)
    return list(db.session.scalars(query))


def _version_query() -> Select[Any]:
    upcoming = (CourseSession.status == SessionStatus.OPEN) & (
        CourseSession.starts_at > bindparam("now", type_=CourseSession.starts_at.type))
    types = (select(func.count()).select_from(CourseType)
             .where(CourseType.active.is_(True)).scalar_subquery())
    return select(func.count(), func.coalesce(func.sum(CourseSession.list_version), 0),
                  func.min(case((upcoming, CourseSession.starts_at))), types)


#: Built once: it runs on every request of the course pages.
_VERSION = CommittedQuery(_version_query())


def list_version(now: datetime | None = None) -> tuple[object, ...]:
    """What the residents' list depends on, in one cheap query: equal, the list is the same.

    Sessions are never deleted, and their ``list_version`` only grows (database triggers raise
    it with every change to a session, its dates or its registrations' statuses), so the count
    and the sum change with any of them; the start of the next open session changes when that
    session starts and leaves the list; the number of active course types with the filter.
    Course types are only ever added by the code (``sync_course_types``), never edited.
    """
    # On the driver's cursor, without the ORM session: a cached page needs nothing else, and
    # the page rendered after it reads in a later transaction, never an older one.
    found = _VERSION.one(now=now or utcnow())
    assert found is not None  # aggregates: always one row
    return found


def get_session(session_id: int) -> CourseSession | None:
    """A session by id, whatever its status (pages say when it is cancelled or over)."""
    return db.session.get(CourseSession, session_id)


def suggestions(session: CourseSession, now: datetime | None = None,
                limit: int = 3) -> list[CourseSession]:
    """Other sessions of the same type with places left: same municipality and language first."""
    candidates = [other for other in upcoming_sessions(
        Filters(course_type=session.course_type_code), now, limit=200) if other.id != session.id]
    seats = availabilities(candidates)
    free = [other for other in candidates if not seats[other.id].is_full]
    free.sort(key=lambda other: (other.municipality_nis != session.municipality_nis,
                                 other.language != session.language, other.starts_at))
    return free[:limit]
