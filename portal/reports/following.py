"""The reporter's word on the tracking page: the problem is solved, or no longer needs action."""
from __future__ import annotations

from portal.db import utcnow
from portal.extensions import db
from portal.reports.models import EventKind, Report, ReportEvent, Status

#: What the reporter's word does to an open report (staff can open it again).
REPORTER_OUTCOMES = {
    EventKind.REPORTER_RESOLVED: Status.RESOLVED,
    EventKind.REPORTER_NO_LONGER_NEEDED: Status.CLOSED,
}


def reporter_says_done(report: Report, kind: str) -> ReportEvent | None:
    """The reporter says the problem is solved, or no longer needs action: the report closes
    (resolved, or closed without action). None when it was no longer open."""
    if kind not in REPORTER_OUTCOMES:
        raise ValueError(kind)
    if not report.is_open:
        return None
    now = utcnow()
    previous = report.status
    report.status = REPORTER_OUTCOMES[kind]
    report.closed_at = now
    event = ReportEvent(kind=kind, actor="reporter", public=True,
                        data={"previous": previous, "status": report.status})
    report.events.append(event)
    report.updated_at = now
    db.session.flush()
    return event
