"""The staff side of reports: who may see what, the work list, and every action on a report.

Authorization lives here, not in the views: every function takes the acting user and refuses
(``NotVisible``) a report outside that user's municipalities, so that no URL, export or search
can show a report of another municipality — not even whether it exists. The staff blueprint
maps ``NotVisible`` to 404 and ``NotStaff`` to 403.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, false, func, or_, select, text, true
from sqlalchemy.sql.elements import ColumnElement

from portal import geo
from portal.accounts.models import Role, StaffUser, staff_municipality
from portal.db import queryable, utcnow
from portal.extensions import db
from portal.i18n import _
from portal.reports import counts as report_counts
from portal.reports import notifications
from portal.reports.models import OPEN_STATUS_SQL, EventKind, Report, ReportEvent, Status
from portal.reports.privacy import erase_personal_data
from portal.reports.services import normalise_reference
from portal.times import BRUSSELS

PAGE_SIZE = 50
#: The largest id an integer column holds.
MAX_ID = 2**31 - 1
MAX_TEXT = 4000


class Conflict(Exception):
    """Someone changed the report since this person loaded it; they must look again."""


class ActionError(ValueError):
    """An action the rules refuse, with a message in the current language."""


class NotVisible(Exception):
    """No such report, or one outside the person's municipalities: the same answer for both."""


class NotStaff(Exception):
    """The account does not work on reports (organisers, administrators)."""


# Who sees what -----------------------------------------------------------------------------

def require_report_role(user: StaffUser) -> None:
    """Only municipal staff and coordinators work on reports."""
    if not getattr(user, "handles_reports", False):
        raise NotStaff


def visible(user: StaffUser) -> ColumnElement[bool]:
    """The SQL condition of the reports ``user`` may see."""
    if user.role == Role.COORDINATOR:
        return true()
    if user.role == Role.STAFF and user.municipality_codes:
        # A report whose municipality is to decide is the coordinators' alone until transferred
        return and_(Report.municipality_nis.in_(sorted(user.municipality_codes)),
                    Report.municipality_to_decide.is_(False))
    return false()


def can_see(user: StaffUser, report: Report) -> bool:
    return user.role == Role.COORDINATOR or (
        user.role == Role.STAFF and report.municipality_nis in user.municipality_codes
        and not report.municipality_to_decide)


def report_for(user: StaffUser, reference: str) -> Report:
    """The report ``reference`` if ``user`` may see it; otherwise NotVisible, as if it did not
    exist."""
    require_report_role(user)
    report = db.session.scalar(select(Report).where(Report.reference == reference, visible(user)))
    if report is None:
        raise NotVisible
    return report


def municipalities_of(user: StaffUser) -> list[geo.Municipality]:
    if user.role == Role.COORDINATOR:
        return list(geo.municipalities())
    return [geo.municipality(nis) for nis in sorted(user.municipality_codes)]


def colleagues(user: StaffUser, report: Report) -> list[StaffUser]:
    """Who a report can be assigned to: active staff of its municipality, and coordinators."""
    in_municipality = select(staff_municipality.c.user_id).where(
        staff_municipality.c.municipality_nis == report.municipality_nis)
    return list(db.session.scalars(select(StaffUser).where(
        StaffUser.active.is_(True),
        or_(and_(StaffUser.role == Role.STAFF, StaffUser.id.in_(in_municipality)),
            StaffUser.role == Role.COORDINATOR)).order_by(StaffUser.name)))


# The work list -----------------------------------------------------------------------------

@dataclass
class Filters:
    status: str = ""
    category: str = ""
    municipality: str = ""
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    mine: bool = False
    #: Only the reports whose municipality the coordinators must decide
    to_decide: bool = False
    reference: str = ""
    oldest_first: bool = False
    #: Show only the reports marked as spam (otherwise they are hidden).
    spam: bool = False

    def query_args(self) -> dict[str, str]:
        """These filters as query-string arguments (links, export, next page)."""
        args = {"status": self.status, "category": self.category, "municipality": self.municipality,
                "from": self.date_from.isoformat() if self.date_from else "",
                "to": self.date_to.isoformat() if self.date_to else "",
                "overdue": "1" if self.overdue else "", "mine": "1" if self.mine else "",
                "decide": "1" if self.to_decide else "",
                "q": self.reference, "sort": "oldest" if self.oldest_first else "",
                "spam": "1" if self.spam else ""}
        return {key: value for key, value in args.items() if value}


def parse_filters(args: Any) -> Filters:
    """Read filters from a query string; anything unreadable is ignored, never an error."""
    def day(name: str) -> date | None:
        try:
            value = date.fromisoformat(args.get(name, "")) if args.get(name) else None
        except ValueError:
            return None
        return value if value is None or queryable(value) else None

    status = args.get("status", "")
    return Filters(
        status=status if status in (*Status.ALL, "open") else "",
        category=(args.get("category", "") or "")[:40],
        municipality=(args.get("municipality", "") or "")[:5],
        date_from=day("from"), date_to=day("to"),
        overdue=args.get("overdue") == "1", mine=args.get("mine") == "1",
        to_decide=args.get("decide") == "1",
        reference=(args.get("q", "") or "")[:30].strip(),
        oldest_first=args.get("sort") == "oldest", spam=args.get("spam") == "1")


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    # The literal condition first: it lets SQLite use the partial indexes of open reports.
    # One CASE rather than an OR of two deadlines: PostgreSQL turned the OR into two bitmap
    # scans and fetched every overdue report from the table (70 ms to count them for the
    # Region); the CASE is checked on the index's own columns (9 ms, no table read).
    return and_(text(f"report.{OPEN_STATUS_SQL}"),
                case((and_(Report.status == Status.NEW, Report.acknowledge_due_at < now), true()),
                     else_=Report.close_due_at < now))


def is_overdue(report: Report, now: datetime | None = None) -> bool:
    return overdue(report.status, report.acknowledge_due_at, report.close_due_at, now or utcnow())


def overdue(status: str, acknowledge_due_at: datetime | None, close_due_at: datetime | None,
            now: datetime) -> bool:
    """``overdue_condition`` in Python, for a report's values."""
    if status == Status.NEW and acknowledge_due_at and acknowledge_due_at < now:
        return True
    return bool(status in Status.OPEN and close_due_at and close_due_at < now)


def filtered(user: StaffUser, filters: Filters, *, with_status: bool = True) -> Select[Any]:
    """The reports ``user`` may see that match ``filters`` (the list, its counts, the export)."""
    query = select(Report).where(visible(user), Report.spam.is_(filters.spam))
    if with_status and filters.status:
        query = query.where(Report.status.in_(Status.OPEN) if filters.status == "open"
                            else Report.status == filters.status)
    if filters.category:
        query = query.where(Report.category_code == filters.category)
    if filters.municipality:
        query = query.where(Report.municipality_nis == filters.municipality)
    if filters.date_from:
        query = query.where(Report.created_at >= datetime.combine(filters.date_from, time(), BRUSSELS))
    if filters.date_to:
        query = query.where(Report.created_at < datetime.combine(
            filters.date_to + timedelta(days=1), time(), BRUSSELS))
    if filters.overdue:
        query = query.where(overdue_condition(utcnow()))
    if filters.mine:
        query = query.where(Report.assigned_to_id == user.id)
    if filters.to_decide:
        query = query.where(Report.municipality_to_decide.is_(True))
    if filters.reference:
        query = query.where(Report.reference == (normalise_reference(filters.reference) or "-"))
    return query


def _encode_cursor(report: Report) -> str:
    raw = f"{report.created_at.isoformat()}|{report.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, ident = raw.split("|")
        parsed = datetime.fromisoformat(moment)
        number = int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    # A cursor is only ever made from a report: its moment and its id (an integer column).
    if not queryable(parsed) or not 0 < number <= MAX_ID:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=BRUSSELS)), number


@dataclass
class Page:
    reports: list[Report]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


def work_list(user: StaffUser, filters: Filters, cursor: str = "", size: int = PAGE_SIZE) -> Page:
    """One page of the filtered list, by keyset on (created_at, id): as fast on page 1,000 as
    on page 1, with the (municipality, status, created_at) indexes."""
    require_report_role(user)
    query = filtered(user, filters)
    order = (Report.created_at.asc(), Report.id.asc()) if filters.oldest_first else (
        Report.created_at.desc(), Report.id.desc())
    position = _decode_cursor(cursor) if cursor else None
    if position is not None:
        moment, ident = position
        # The bound on created_at alone first: an index range starts there (with only the
        # OR, PostgreSQL read a municipality's deep page from the Region's newest reports on).
        if filters.oldest_first:
            query = query.where(Report.created_at >= moment,
                                or_(Report.created_at > moment, Report.id > ident))
        else:
            query = query.where(Report.created_at <= moment,
                                or_(Report.created_at < moment, Report.id < ident))
    rows = list(db.session.scalars(query.order_by(*order).limit(size + 1)))
    next_cursor = _encode_cursor(rows[size - 1]) if len(rows) > size else None
    return Page(rows[:size], next_cursor, status_counts(user, filters))


def _to_decide_by_status(codes: Iterable[str], filters: Filters) -> list[tuple[str, int]]:
    """Reports "municipality to decide" filed under one of ``codes``, per status."""
    query = select(Report.status, func.count()).where(
        Report.municipality_to_decide.is_(True), Report.municipality_nis.in_(list(codes)),
        Report.spam.is_(filters.spam))
    if filters.category:
        query = query.where(Report.category_code == filters.category)
    if filters.municipality:
        query = query.where(Report.municipality_nis == filters.municipality)
    return [(status, count) for status, count in db.session.execute(query.group_by(Report.status))]


def status_counts(user: StaffUser, filters: Filters) -> dict[str, int]:
    """How many reports of each status match the other filters: from ``report_count`` when the
    filters are among its columns (a few hundred rows whatever the number of reports), else
    counted."""
    counts = dict.fromkeys(Status.ALL, 0)
    if not (filters.date_from or filters.date_to or filters.overdue or filters.mine
            or filters.reference or filters.to_decide):
        municipalities = None if user.role == Role.COORDINATOR else (
            user.municipality_codes if user.role == Role.STAFF else ())
        counts.update(report_counts.by_status(municipalities, spam=filters.spam,
                                              category=filters.category,
                                              municipality=filters.municipality))
        return counts
    subquery = filtered(user, filters, with_status=False).subquery()
    rows = db.session.execute(select(subquery.c.status, func.count()).group_by(subquery.c.status))
    counts.update(rows.all())  # a list: a Result has keys(), so update() would take it for a mapping
    return counts


def export_rows(user: StaffUser, filters: Filters, limit: int = 100_000) -> Sequence[Report]:
    """Every report matching the filters, for the CSV export."""
    require_report_role(user)
    return list(db.session.scalars(filtered(user, filters)
                                   .order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)))


# Actions -----------------------------------------------------------------------------------

def _begin(user: StaffUser, report: Report, version: int | None) -> None:
    """Refuse to act on a report that changed since the person saw it, or that they may not see."""
    require_report_role(user)
    if not can_see(user, report):
        raise NotVisible
    if version is not None and version != report.version:
        raise Conflict()


def _event(report: Report, user: StaffUser, kind: str, *, public: bool = False, text: str = "",
           **data: Any) -> ReportEvent:
    event = ReportEvent(kind=kind, actor="staff", actor_id=user.id, public=public, text=text, data=data)
    report.events.append(event)
    report.updated_at = utcnow()
    return event


def _set_status(report: Report, user: StaffUser, status: str, **data: Any) -> None:
    """Change the status (flushes) and tell the reporter when it is a change they should know."""
    now = utcnow()
    previous = report.status
    report.status = status
    if status != Status.NEW and report.acknowledged_at is None:
        report.acknowledged_at = now
    report.closed_at = now if status in Status.FINAL else None
    event = _event(report, user, EventKind.STATUS, public=True, previous=previous, status=status,
                   **data)
    db.session.flush()
    notifications.status_changed(report, event)


def acknowledge(user: StaffUser, report: Report, version: int | None) -> None:
    """New → acknowledged: the municipality has read it."""
    _begin(user, report, version)
    if report.status != Status.NEW:
        raise ActionError(_("This report has already been acknowledged."))
    _set_status(report, user, Status.ACKNOWLEDGED)
    db.session.flush()


def change_status(user: StaffUser, report: Report, version: int | None, status: str,
                  duplicate_of: str = "") -> None:
    """Move a report along its life; a duplicate must name a report this person can see."""
    _begin(user, report, version)
    if status not in Status.ALL:
        raise ActionError(_("Choose one of the statuses."))
    if status == report.status:
        raise ActionError(_("The report already has this status."))
    extra: dict[str, Any] = {}
    if status == Status.DUPLICATE:
        other_ref = normalise_reference(duplicate_of)
        other = db.session.scalar(select(Report).where(Report.reference == other_ref, visible(user)))
        if other is None or other.id == report.id:
            raise ActionError(_("Give the reference of the other report, for example BX-7KQ2-M9XD."))
        extra["duplicate_of"] = other.reference
    _set_status(report, user, status, **extra)
    db.session.flush()


def assign(user: StaffUser, report: Report, version: int | None, assignee_id: int | None) -> None:
    """Give the report to a colleague (or to nobody)."""
    _begin(user, report, version)
    assignee = None
    if assignee_id is not None:
        assignee = next((c for c in colleagues(user, report) if c.id == assignee_id), None)
        if assignee is None:
            raise ActionError(_("Choose a colleague of this municipality."))
    report.assigned_to = assignee
    _event(report, user, EventKind.ASSIGNED, assignee=assignee.name if assignee else "")
    db.session.flush()
    if assignee is not None:
        notifications.assigned(report, assignee, user)


def _text(text: str) -> str:
    """Staff's text as typed, each line break one line feed (a browser sends a text box's line
    breaks as CR LF): stored, e-mailed and counted against ``MAX_TEXT`` as the box showed it."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ActionError(_("Write the text first."))
    if len(text) > MAX_TEXT:
        raise ActionError(_("Use at most %(max)s characters.", max=MAX_TEXT))
    return text


def add_note(user: StaffUser, report: Report, version: int | None, text: str) -> None:
    """An internal note: only staff see it."""
    _begin(user, report, version)
    _event(report, user, EventKind.NOTE, text=_text(text))
    db.session.flush()


def answer(user: StaffUser, report: Report, version: int | None, text: str) -> None:
    """A public answer: shown on the tracking page and e-mailed in the reporter's language."""
    _begin(user, report, version)
    event = _event(report, user, EventKind.ANSWER, public=True, text=_text(text))
    db.session.flush()
    notifications.answered(report, event)


def mark_spam(user: StaffUser, report: Report, version: int | None, spam: bool) -> None:
    """Hide a report from lists and statistics (or bring it back); it is kept for audit."""
    _begin(user, report, version)
    report.spam = spam
    _event(report, user, EventKind.SPAM, spam=spam)
    db.session.flush()


def erase(user: StaffUser, report: Report, version: int | None, reason: str) -> None:
    """Erase the reporter's personal data now (for example on the reporter's request)."""
    _begin(user, report, version)
    if report.erased_at is not None:
        raise ActionError(_("The personal data of this report has already been erased."))
    erase_personal_data(report, actor=user, reason=_text(reason))


def transfer(user: StaffUser, report: Report, version: int | None, to_nis: str, reason: str) -> None:
    """Send a misrouted report to the competent municipality, which is told."""
    _begin(user, report, version)
    try:
        target = geo.municipality(to_nis)
    except KeyError:
        raise ActionError(_("Choose a municipality of the Region.")) from None
    # A report whose municipality is to decide sits provisionally in its first candidate: a
    # coordinator may send it "on" to that one too
    if target.nis == report.municipality_nis and not report.municipality_to_decide:
        raise ActionError(_("The report is already in this municipality."))
    reason = _text(reason)
    source = report.municipality_nis
    report.municipality_nis = target.nis
    report.municipality_to_decide = False
    report.assigned_to = None
    # Public so the reporter sees the move; the reason stays internal (data, not text).
    event = _event(report, user, EventKind.TRANSFER, public=True, source=source,
                   target=target.nis, reason=reason)
    db.session.flush()
    notifications.transferred(report, event)
