"""The reporters' personal data: who looked at it, what a reporter can take away, and erasure.

Erasure keeps what the statistics need (category, municipality, postal code, dates, status) and
removes everything that could identify the reporter: contact data, photos, free text, address,
exact position, answers to the category's questions.
"""
from __future__ import annotations

import base64
import calendar
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import selectinload

from portal import geo
from portal.accounts.models import StaffUser
from portal.db import utcnow, write_aside
from portal.extensions import db
from portal.reports import notifications
from portal.reports.models import AccessLog, EventKind, Report, ReportEvent, Status
from portal.reports.uploads import store


def log_access(user: StaffUser, what: str, report: Report | None = None, detail: str = "") -> None:
    """Record that ``user`` was shown personal data (the caller commits)."""
    db.session.add(AccessLog(user_id=user.id, report_id=report.id if report else None, what=what,
                             detail=detail[:500]))


def log_access_aside(user: StaffUser, what: str, detail: str = "") -> int:
    """Record an access in a transaction of its own, committed now: for a reading request that
    streams its answer (the CSV export), so that the log exists before any data leaves and the
    request itself never holds the write lock while it streams (SQLite). Returns the entry's id."""
    with write_aside() as connection:
        return int(connection.execute(
            insert(AccessLog).values(user_id=user.id, report_id=None, what=what, detail=detail[:500])
            .returning(AccessLog.id)).scalar_one())


def complete_access_aside(entry_id: int, detail: str) -> None:
    """Write what is known only once a stream has ended (the number of reports exported) into
    the entry ``log_access_aside`` made before it began; an interrupted export keeps the first."""
    with write_aside() as connection:
        connection.execute(update(AccessLog).where(AccessLog.id == entry_id).values(detail=detail[:500]))


def recent_accesses(limit: int = 200) -> list[AccessLog]:
    return list(db.session.scalars(
        select(AccessLog).options(selectinload(AccessLog.user), selectinload(AccessLog.report))
        .order_by(AccessLog.id.desc()).limit(limit)))


def erase_personal_data(report: Report, *, actor: StaffUser | None = None, reason: str = "") -> None:
    """Remove everything identifying from a report; the row stays for the statistics."""
    if report.erased_at is not None:
        return
    for photo in list(report.photos):
        store().delete(photo.filename)
        report.photos.remove(photo)
    report.email = None
    report.phone = None
    report.description = ""
    report.street = ""
    report.latitude = None
    report.longitude = None
    report.details = {}
    report.police_report_number = None
    for event in report.events:
        event.text = ""
        event.data = {k: v for k, v in (event.data or {}).items() if k in ("status", "previous", "source", "target")}
    report.erased_at = utcnow()
    report.events.append(ReportEvent(kind=EventKind.ERASED, actor="staff" if actor else "system",
                                     actor_id=actor.id if actor else None, public=True,
                                     data={"reason": reason}))
    db.session.flush()


def months_ago(now: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (the day clipped to the month's end)."""
    month_index = now.year * 12 + now.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    return now.replace(year=year, month=month + 1, day=day)


def run_retention(months: int, now: datetime | None = None) -> int:
    """Erase reports closed more than ``months`` months ago; returns how many were erased."""
    cutoff = months_ago(now or utcnow(), months)
    due = list(db.session.scalars(select(Report).where(
        Report.status.in_(Status.FINAL), Report.closed_at < cutoff, Report.erased_at.is_(None))))
    for report in due:
        erase_personal_data(report, reason="retention")
    return len(due)


def export_for_reporter(report: Report) -> dict[str, Any]:
    """What the portal holds about a report, for its reporter (GDPR access and portability)."""
    return {
        "reference": report.reference,
        "category": report.category_code,
        "municipality": {"nis": report.municipality_nis,
                         "name": geo.municipality(report.municipality_nis).name(report.language)},
        "status": report.status,
        "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat() if report.updated_at else None,
        "description": report.description,
        "occurred_on": report.occurred_on.isoformat(),
        "occurred_at_time": report.occurred_at_time.isoformat() if report.occurred_at_time else None,
        "street": report.street,
        "postal_code": report.postal_code,
        "latitude": report.latitude,
        "longitude": report.longitude,
        "details": report.details,
        "police_report_number": report.police_report_number,
        "email": report.email,
        "phone": report.phone,
        "language": report.language,
        "erased_at": report.erased_at.isoformat() if report.erased_at else None,
        "timeline": [{"at": e.created_at.isoformat(), "kind": e.kind, "text": e.text}
                     for e in report.events if e.public],
        "photos": [{"name": f"{report.reference}-{p.id}.jpg", "content_type": "image/jpeg",
                    "data_base64": _photo_base64(p.filename)} for p in report.photos],
    }


def _photo_base64(name: str) -> str | None:
    try:
        return base64.b64encode(store().path(name).read_bytes()).decode("ascii")
    except OSError:
        return None


def request_erasure(report: Report) -> ReportEvent:
    """The reporter asks for erasure: the municipality is told and decides within a month
    (the facts may still be needed, for example by the police)."""
    event = ReportEvent(kind=EventKind.ERASURE_REQUESTED, actor="reporter", public=True)
    report.events.append(event)
    db.session.flush()
    notifications.erasure_requested(report)
    return event
