"""Reports and what they refer to."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import NamedPerLanguage, per_language, utcnow
from portal.extensions import Model
from portal.i18n import _l

if TYPE_CHECKING:
    from portal.accounts.models import StaffUser


class Category(NamedPerLanguage, Model):
    """A kind of nuisance of the prevention plan; also an Open311 service."""

    __tablename__ = "category"

    #: Stable code, used in URLs and as the Open311 ``service_code``; never renamed.
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: Which extra questions the form asks: "school", "transport", "vehicle" or "" for none.
    questions: Mapped[str] = mapped_column(String(20), default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    #: Working days within which the municipality should acknowledge a new report.
    acknowledge_days: Mapped[int] = mapped_column(default=2)
    #: Working days within which a report should be closed.
    close_days: Mapped[int] = mapped_column(default=30)


class Status:
    """The life of a report. Stored as these strings; titles are in ``STATUS_TITLES``."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"  # closed without action
    REFERRED = "referred"  # referred to the police
    DUPLICATE = "duplicate"

    OPEN = (NEW, ACKNOWLEDGED, IN_PROGRESS)
    FINAL = (RESOLVED, CLOSED, REFERRED, DUPLICATE)
    ALL = OPEN + FINAL


#: ``Status.OPEN`` as SQL text: the condition of the partial index of open reports, which a
#: query must contain word for word for SQLite to use that index (``triage.overdue_condition``).
OPEN_STATUS_SQL = "status IN ('new', 'acknowledged', 'in_progress')"

STATUS_TITLES = {
    Status.NEW: _l("Received"),
    Status.ACKNOWLEDGED: _l("Acknowledged by the municipality"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.RESOLVED: _l("Resolved"),
    Status.CLOSED: _l("Closed without action"),
    Status.REFERRED: _l("Referred to the police"),
    Status.DUPLICATE: _l("Duplicate of another report"),
}


class SafeContact:
    """How the reporter of a sensitive report (racket, threats) may safely be contacted."""

    EMAIL = "email"  # e-mail only: never a phone call
    PHONE = "phone"  # a call, but never a voice message
    NONE = "none"  # no contact at all: no address or number is kept

    ALL = (EMAIL, PHONE, NONE)


SAFE_CONTACT_TITLES = {
    SafeContact.EMAIL: _l("By e-mail only"),
    SafeContact.PHONE: _l("By phone"),
    SafeContact.NONE: _l("No contact"),
}


class Report(Model):
    """A nuisance reported by a resident (web form or Open311 partner)."""

    __tablename__ = "report"
    __table_args__ = (
        # The staff list and its counts per status: a municipality's reports by status, newest
        # first, spam left out (as every list but the spam list does). Partial on spam, so that
        # counting a municipality's reports by status reads this index alone: with spam outside
        # it, every report was read from the table (110 ms for 68,000 reports: benchmarks/).
        Index("ix_report_triage", "municipality_nis", "status", "created_at",
              sqlite_where=text("spam IS 0"), postgresql_where=text("spam IS false")),
        # A category's list, newest first (a coordinator's category filter), and a
        # municipality's (staff): read in order, no sort. With the status between the two,
        # the category's 30,000 reports were sorted for each page (benchmarks/). The counts
        # come from report_count.
        Index("ix_report_category_created", "category_code", "created_at",
              sqlite_where=text("spam IS 0"), postgresql_where=text("spam IS false")),
        Index("ix_report_municipality_category_created", "municipality_nis", "category_code",
              "created_at", sqlite_where=text("spam IS 0"), postgresql_where=text("spam IS false")),
        # The open reports only (2% of them): the overdue filter and its counts, above all for
        # a coordinator (the whole Region: 4.8 s per page on a busy machine without it).
        Index("ix_report_open", "status", "municipality_nis", "acknowledge_due_at",
              "close_due_at", "created_at", "category_code",
              sqlite_where=text(f"spam IS 0 AND {OPEN_STATUS_SQL}"),
              postgresql_where=text(f"spam IS false AND {OPEN_STATUS_SQL}")),
        # The same reports newest first: the overdue list's first page (a coordinator's
        # above all) is read in order instead of sorting every overdue report. With every column
        # the overdue filter and its counts read, so that counting needs no table read either.
        Index("ix_report_open_created", "created_at", "status", "municipality_nis",
              "acknowledge_due_at", "close_due_at", "municipality_to_decide",
              sqlite_where=text(f"spam IS 0 AND {OPEN_STATUS_SQL}"),
              postgresql_where=text(f"spam IS false AND {OPEN_STATUS_SQL}")),
        # Reports "municipality to decide" (few): taken out of municipal staff's counts.
        Index("ix_report_to_decide", "municipality_nis", "status",
              sqlite_where=text("municipality_to_decide IS 1"),
              postgresql_where=text("municipality_to_decide IS true")),
        Index("ix_report_municipality_created", "municipality_nis", "created_at"),
        Index("ix_report_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Short, readable on the phone, not sequential: "BX-7KQ2-M9XD".
    reference: Mapped[str] = mapped_column(String(12), unique=True)
    #: SHA-256 of the secret in the private tracking link; the secret itself is never stored.
    tracking_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 of the reference and the short tracking code that opens the report with its
    #: reference; the code itself is never stored. Empty for reports made before codes existed.
    tracking_code_hash: Mapped[str | None] = mapped_column(String(64))
    #: Random key of the form that created it: a second click or a reloaded POST finds this row.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    category_code: Mapped[str] = mapped_column(ForeignKey("category.code"))
    municipality_nis: Mapped[str] = mapped_column(ForeignKey("municipality.nis"))
    #: The resident did not know which of two municipalities (a shared postal code, or a
    #: position and a postal code that disagree): the regional coordinators decide, and until
    #: then municipal staff do not see it. ``municipality_nis`` holds the first candidate.
    municipality_to_decide: Mapped[bool] = mapped_column(default=False,
                                                         server_default=text("false"))
    status: Mapped[str] = mapped_column(String(20), default=Status.NEW)
    description: Mapped[str] = mapped_column(Text)
    occurred_on: Mapped[date]
    #: Approximate time of day, if the resident gave one.
    occurred_at_time: Mapped[time | None]
    street: Mapped[str] = mapped_column(String(200), default="")
    postal_code: Mapped[str] = mapped_column(String(4))
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    #: Answers to the category's own questions (line and stop, school, car make...).
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    #: The language the reporter chose for the messages (by default the form page's); every
    #: message to the reporter uses it, staff answers included.
    language: Mapped[str] = mapped_column(String(2))
    #: For a sensitive report, how the reporter may safely be contacted (``SafeContact``); None
    #: when the form did not ask. When set, e-mail subjects name neither police nor prevention.
    safe_contact: Mapped[str | None] = mapped_column(String(10))
    #: "web" or "open311".
    source: Mapped[str] = mapped_column(String(10), default="web")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    acknowledged_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    #: When the municipality should have acknowledged it (the category's working days).
    acknowledge_due_at: Mapped[datetime | None] = mapped_column(index=True)
    #: When it should be closed.
    close_due_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The staff member who handles it.
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"), index=True)
    #: Incremented on every change: two staff members never silently overwrite each other.
    version: Mapped[int] = mapped_column(default=1)
    #: Marked as spam by staff: hidden from lists and statistics, kept for audit.
    spam: Mapped[bool] = mapped_column(default=False)
    #: When the reporter's personal data was erased (retention, or the reporter's request).
    erased_at: Mapped[datetime | None]
    #: The number of the police report (PV) the reporter added from the tracking page, as typed
    #: (trimmed): the shapes differ between police zones and years.
    police_report_number: Mapped[str | None] = mapped_column(String(40))

    category: Mapped[Category] = relationship(lazy="joined")
    assigned_to: Mapped[StaffUser | None] = relationship()
    photos: Mapped[list[ReportPhoto]] = relationship(
        back_populates="report", order_by="ReportPhoto.id", cascade="all, delete-orphan")
    events: Mapped[list[ReportEvent]] = relationship(
        back_populates="report", order_by="ReportEvent.id", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.status in Status.OPEN

    @property
    def safe_contact_title(self) -> str:
        return str(SAFE_CONTACT_TITLES[self.safe_contact]) if self.safe_contact else ""

    @property
    def status_title(self) -> str:
        return str(STATUS_TITLES[self.status])

    @property
    def public_events(self) -> list[ReportEvent]:
        return [event for event in self.events if event.public]


class ReportCount(Model):
    """How many reports have this municipality, category, status and spam mark: kept exact by
    triggers on ``report`` (``reports/counts.py``), read by the staff list's counts per status."""

    __tablename__ = "report_count"

    municipality_nis: Mapped[str] = mapped_column(String(5), primary_key=True)
    category_code: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    spam: Mapped[bool] = mapped_column(primary_key=True)
    #: Reports with that key; 0 once the last one left it (the row stays).
    n: Mapped[int] = mapped_column(default=0)


class ReportPhoto(Model):
    __tablename__ = "report_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    #: Random file name in the upload folder (never derived from what the resident sent).
    filename: Mapped[str] = mapped_column(String(64), unique=True)
    width: Mapped[int]
    height: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="photos")


class EventKind:
    CREATED = "created"
    REPORTER_INFO = "reporter_info"
    REPORTER_RESOLVED = "reporter_resolved"
    REPORTER_NO_LONGER_NEEDED = "reporter_no_longer_needed"
    STATUS = "status"
    ASSIGNED = "assigned"
    NOTE = "note"
    ANSWER = "answer"
    TRANSFER = "transfer"
    SPAM = "spam"
    POLICE_REPORT = "police_report"
    ERASURE_REQUESTED = "erasure_requested"
    ERASED = "erased"


class ReportEvent(Model):
    """One line of a report's timeline: who did what, when, and whether the reporter sees it."""

    __tablename__ = "report_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(30))
    #: "reporter", "system", or "staff" (then ``actor_id`` says who).
    actor: Mapped[str] = mapped_column(String(20), default="system")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    #: Shown on the reporter's tracking page.
    public: Mapped[bool] = mapped_column(default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    report: Mapped[Report] = relationship(back_populates="events")
    actor_user: Mapped[StaffUser | None] = relationship()


class MunicipalContact(Model):
    """Where a municipality wants new reports announced, per category or for all of them."""

    __tablename__ = "municipal_contact"
    __table_args__ = (UniqueConstraint("municipality_nis", "category_code", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_nis: Mapped[str] = mapped_column(ForeignKey("municipality.nis"), index=True)
    #: Empty for "every category".
    category_code: Mapped[str | None] = mapped_column(ForeignKey("category.code"))
    email: Mapped[str] = mapped_column(String(320))
    #: The language of the messages sent to this address.
    language: Mapped[str] = mapped_column(String(2), default="fr")


class ReferenceVersion(Model):
    """One row: how many times the categories or the municipal contact addresses have changed.

    Raised by database triggers in the statement that changes them (migration
    ``c8e2f4a6b1d3_report_reference_version``), whatever the path (the administrators' pages,
    the seed, ``psql``), so that every worker's copy of them (``reports/reference_data.py``) is
    known to be out of date from the commit on.
    """

    __tablename__ = "report_reference_version"

    #: Always 1.
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)


class AccessLog(Model):
    """Every time a staff member was shown a reporter's personal data: who, what, when."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    #: The report seen; empty for an export of several reports.
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id", ondelete="SET NULL"), index=True)
    #: "report" (the page with contact data), "print" (the print view), "photo", "export".
    what: Mapped[str] = mapped_column(String(20))
    #: For an export: how many reports and with which filters (JSON, see ``access_words``).
    detail: Mapped[str] = mapped_column(String(500), default="")

    user: Mapped[StaffUser] = relationship()
    report: Mapped[Report | None] = relationship()


class SavedFilter(Model):
    """A staff member's named view of the work list ("overdue in Ixelles", "new vandalism")."""

    __tablename__ = "saved_filter"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    #: The list's query string, as ``triage.Filters.query_args`` writes it (only known keys).
    query: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@per_language(title=lambda: mapped_column(String(120), nullable=False),
              text=lambda: mapped_column(Text, nullable=False))
class _ReplyTexts:
    """A reply's title (what staff pick) and text (what the resident reads), per language."""


class ReplyTemplate(_ReplyTexts, Model):
    """A ready answer to residents, in each language, kept by coordinators and administrators;
    staff insert the resident's language version in the answer box and edit it before sending."""

    __tablename__ = "reply_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The category it answers; none: offered for every category.
    category_code: Mapped[str | None] = mapped_column(ForeignKey("category.code", ondelete="CASCADE"),
                                                      index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
