"""The ``.ics`` calendar file sent with a confirmation (and, to remove it, with a cancellation)."""
from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from portal.config import base_url
from portal.courses.models import CourseSession
from portal.db import utcnow
from portal.i18n import localized

PRODID = "-//Brussels prevention portal//Courses//EN"
_SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def event_uid(session: CourseSession, date_id: int) -> str:
    """Stable across messages: a calendar updates (or removes) the same events."""
    host = urlsplit(base_url()).hostname or "portal.localhost"
    return f"course-session-{session.id}-date-{date_id}@{host}"


def session_calendar(session: CourseSession, lang: str, booking_url: str | None = None,
                     *, cancelled: bool | None = None) -> bytes:
    """One VEVENT per date, times in UTC, location = venue and address, texts in ``lang``.

    A cancelled session gives ``METHOD:CANCEL`` with the same UIDs, so calendars remove it.
    """
    if cancelled is None:
        cancelled = session.status == "cancelled"
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    title = localized(session.course_type, "name", lang)
    notes = localized(session, "notes", lang)
    description = "\n\n".join(part for part in (notes, booking_url or "") if part)
    stamp = utcnow()
    for date in session.dates:
        event = Event()
        event.add("uid", event_uid(session, date.id))
        event.add("dtstamp", stamp)
        event.add("dtstart", date.starts_at.astimezone(UTC))
        event.add("dtend", date.ends_at.astimezone(UTC))
        event.add("summary", title)
        event.add("location", f"{session.venue_name}, {session.address}")
        if description:
            event.add("description", description)
        if booking_url:
            event.add("url", booking_url)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        # Grows with every change of the session, so a later message supersedes an earlier
        # one (RFC 5545 3.8.7.4): minutes since 2024, far from the 32-bit limit.
        event.add("sequence", _sequence(session))
        calendar.add_component(event)
    return calendar.to_ical()


def _sequence(session: CourseSession) -> int:
    changed = session.updated_at or session.created_at or _SEQUENCE_EPOCH
    return max(0, int((changed - _SEQUENCE_EPOCH).total_seconds() // 60))
