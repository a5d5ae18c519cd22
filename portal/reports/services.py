"""What can be done with reports. Views and the Open311 API call these and commit once."""
from __future__ import annotations

import functools
import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Insert, Table, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from portal import geo
from portal.contact import PHONE_PATTERN
from portal.db import insert_missing, utcnow
from portal.extensions import db
from portal.i18n import _
from portal.reports import notifications, questions, reference_data
from portal.reports.deadlines import add_working_days
from portal.reports.models import (
    Category,
    EventKind,
    Report,
    ReportEvent,
    ReportPhoto,
)
from portal.reports.photos import MAX_PHOTOS, StoredPhoto
from portal.reports.reference import CATEGORIES
from portal.reports.reference_data import CategoryInfo, ReferenceData
from portal.times import BRUSSELS
from portal.tokens import hash_secret

MAX_DESCRIPTION = 4000
#: No 0/O, 1/I/L or U: a reference read out on the phone cannot be misheard or misread.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE_PATTERN = re.compile(r"^BX-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$")
#: Symbols of the tracking code (the reference's alphabet): 12 of them carry about 59 random bits.
TRACKING_CODE_LENGTH = 12
#: How long the link sent by "I lost my code" opens the report.
SENT_LINK_MAX_AGE = timedelta(days=7)
#: A phone's clock may be a little ahead of ours (the registry's time questions allow the same).
CLOCK_SKEW = questions.CLOCK_SKEW


def sync_categories() -> int:
    """Insert the shipped categories that are missing; never overwrite an administrator's edit."""
    return insert_missing(Category, CATEGORIES)


def active_categories() -> list[Category]:
    """The categories a resident can choose, in the plan's order."""
    return list(db.session.scalars(
        select(Category).where(Category.active.is_(True)).order_by(Category.position)))


def get_active_category(code: str) -> CategoryInfo | None:
    """The category of this code if residents can choose it (from the worker's copy, checked
    against the database's version: see ``reference_data``)."""
    return reference_data.current().active_category(code)


def reference() -> ReferenceData:
    """The categories and contact addresses as they are now, for one submission (a view reads
    them once and passes them to ``validate`` and ``submit_report``)."""
    return reference_data.current()


@dataclass
class Draft:
    """A report as submitted, before it is checked and routed (web form or Open311)."""

    category_code: str
    description: str
    occurred_on: date | None
    postal_code: str
    language: str
    occurred_at_time: time | None = None
    street: str = ""
    latitude: float | None = None
    longitude: float | None = None
    details: dict[str, str] = field(default_factory=dict)
    email: str | None = None
    phone: str | None = None
    source: str = "web"
    #: The random key of the form: the same key twice makes one report.
    submission_key: str | None = None
    #: The municipality the resident picked when the location named several, or
    #: ``UNDECIDED`` ("I don't know": the regional coordinators decide).
    municipality_choice: str | None = None
    #: Photos already re-encoded and stored (see uploads.PendingPhotos).
    photos: list[StoredPhoto] = field(default_factory=list)
    #: A sensitive report's safe way to contact the reporter (``models.SafeContact``).
    safe_contact: str | None = None


class InvalidReport(Exception):
    """Some fields are wrong; ``errors`` maps each to a message in the current language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class NeedsMunicipality(Exception):
    """The location names several municipalities, or two that disagree: the resident chooses."""

    def __init__(self, routing: geo.Routing) -> None:
        super().__init__(routing.outcome.value)
        self.routing = routing


class OutsideRegion(Exception):
    """The location is not in the Brussels-Capital Region: nothing is stored."""

    def __init__(self, routing: geo.Routing) -> None:
        super().__init__(routing.outcome.value)
        self.routing = routing


def brussels_now() -> datetime:
    return datetime.now(BRUSSELS)


def validate(draft: Draft, reference: ReferenceData | None = None) -> dict[str, str]:
    """Check a draft against the portal's rules; returns field → message (empty when valid)."""
    errors: dict[str, str] = {}
    category = (reference or reference_data.current()).active_category(draft.category_code)
    if category is None:
        errors["category"] = _("Choose one of the categories.")
    description = draft.description.strip()
    if not description:
        errors["description"] = _("Describe what happened.")
    elif len(description) > MAX_DESCRIPTION:
        errors["description"] = _("Use at most %(max)s characters.", max=MAX_DESCRIPTION)
    now = brussels_now()
    if draft.occurred_on is None:
        errors["occurred_on"] = _("Give the date of the facts.")
    elif draft.occurred_on > now.date():
        errors["occurred_on"] = _("The date cannot be in the future.")
    elif draft.occurred_on < date(now.year - 5, 1, 1):
        errors["occurred_on"] = _("The date is too far in the past.")
    elif draft.occurred_at_time is not None:
        moment = datetime.combine(draft.occurred_on, draft.occurred_at_time, BRUSSELS)
        if moment > now + CLOCK_SKEW:
            errors["occurred_at_time"] = _("The time cannot be in the future.")
    if not re.fullmatch(r"[0-9]{4}", draft.postal_code or ""):
        errors["postal_code"] = _("Give a postal code of four digits, for example 1050.")
    if len(draft.street) > 200:
        errors["street"] = _("Use at most %(max)s characters.", max=200)
    if (draft.latitude is None) != (draft.longitude is None) or (
            draft.latitude is not None and not (
                -90 <= draft.latitude <= 90 and -180 <= draft.longitude <= 180)):  # type: ignore[operator]
        errors["location"] = _("The location could not be read. Remove it, or try again.")
    if category is not None:
        draft.details, wrong = questions.check_answers(
            category.questions, draft.details, questions.Facts(draft.occurred_on, now))
        errors.update(wrong)
    if draft.email:
        try:
            draft.email = validate_email(draft.email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _("Give a valid e-mail address, for example name@example.be, or leave it empty.")
    if draft.phone and not PHONE_PATTERN.match(draft.phone):
        errors["phone"] = _("Give a phone number with digits only, for example 0470 12 34 56, or leave it empty.")
    if len(draft.photos) > MAX_PHOTOS:
        errors["photos"] = _("Add at most %(max)s photos.", max=MAX_PHOTOS)
    return errors


#: The choice "I don't know which municipality": the report goes to the coordinators' queue.
UNDECIDED = "unknown"


@dataclass(frozen=True)
class Placement:
    """Where a report goes: a municipality, or the coordinators choosing between candidates."""

    municipality: geo.Municipality
    #: The resident did not know: the coordinators decide among ``candidates``
    to_decide: bool = False
    candidates: tuple[geo.Municipality, ...] = ()


def place(draft: Draft) -> Placement:
    """`route`, with the resident's "I don't know" between several municipalities accepted."""
    try:
        return Placement(route(draft))
    except NeedsMunicipality as needs:
        candidates = tuple(dict.fromkeys(needs.routing.candidates))  # once each, in order
        if draft.municipality_choice == UNDECIDED and len(candidates) > 1:
            return Placement(candidates[0], to_decide=True, candidates=candidates)
        raise


def route(draft: Draft) -> geo.Municipality:
    """The municipality that will handle the report, or an exception saying who must decide."""
    point = None
    if draft.latitude is not None and draft.longitude is not None:
        point = (draft.longitude, draft.latitude)
    routing = geo.route(postal_code=draft.postal_code, point=point)
    if routing.outcome is geo.Outcome.ONE and routing.municipality is not None:
        return routing.municipality
    if routing.outcome is geo.Outcome.OUTSIDE:
        raise OutsideRegion(routing)
    for candidate in routing.candidates:
        if candidate.nis == draft.municipality_choice:
            return candidate
    raise NeedsMunicipality(routing)


def new_reference() -> str:
    """``BX-XXXX-XXXX`` from 30 unambiguous symbols: about 39 random bits, never sequential."""
    symbols = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"BX-{symbols[:4]}-{symbols[4:]}"


def new_tracking_code() -> str:
    """12 symbols of the reference's alphabet (about 59 bits): short enough to read aloud."""
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(TRACKING_CODE_LENGTH))


def format_tracking_code(code: str) -> str:
    """``7KQ2M9XDH4PT`` → ``7KQ2-M9XD-H4PT``: groups of four, as people read and write it."""
    return "-".join(code[start:start + 4] for start in range(0, len(code), 4))


def hash_tracking_code(reference: str, code: str) -> str:
    """The stored form of a code, salted with its reference (one guess tests one report).

    A fast hash on purpose: the row that holds it holds the report too, so a slow one would
    protect nothing from whoever reads the database; guesses on the site are limited instead.
    """
    return hash_secret(f"{reference}:{code}")


@dataclass(frozen=True)
class NewReport:
    """What the messages about a new report need to know of it (``notifications.Announced``)."""

    id: int
    email: str | None
    language: str
    category_code: str
    municipality_nis: str
    municipality_to_decide: bool
    safe_contact: str | None


@dataclass
class Submitted:
    """A stored report: the new one, or the one its submission key had already made."""

    report_id: int
    reference: str
    #: The secret of the private tracking link; None when the report existed already.
    tracking_secret: str | None
    created: bool
    #: The short tracking code, compact (see ``format_tracking_code``); None as the secret.
    tracking_code: str | None = None

    @property
    def report(self) -> Report:
        """The report's row, read when asked for (the web form needs only its reference)."""
        report = db.session.get(Report, self.report_id)
        assert report is not None  # stored in this transaction, or committed before it
        return report


def _existing(submission_key: str | None) -> Submitted | None:
    if not submission_key:
        return None
    found = db.session.connection().execute(_BY_SUBMISSION_KEY, {"key": submission_key}).first()
    return None if found is None else Submitted(found.id, found.reference, None, created=False)


# The tables, for Core statements (mapped classes are typed with any FROM clause as __table__).
_REPORT = cast(Table, Report.__table__)
_BY_SUBMISSION_KEY = select(_REPORT.c.id, _REPORT.c.reference).where(
    _REPORT.c.submission_key == bindparam("key"))
_INSERT_EVENT = insert(cast(Table, ReportEvent.__table__))
_INSERT_PHOTOS = insert(cast(Table, ReportPhoto.__table__))


@functools.cache
def _insert_report(dialect: str) -> Insert:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` for this database.

    No conflict target: a taken reference (or tracking hash) returns no row as a taken
    submission key does, and the caller tells them apart; a statement that failed instead would
    end the PostgreSQL transaction, and a savepoint around every insert to survive that cost as
    much as the insert itself.
    """
    make = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return make(_REPORT).on_conflict_do_nothing().returning(_REPORT.c.id)


def submit_report(draft: Draft, reference: ReferenceData | None = None) -> Submitted:
    """Check, route, store and announce a report; one function for the web form and Open311.

    Raises InvalidReport, NeedsMunicipality or OutsideRegion (then nothing is stored). The same
    ``submission_key`` twice (a double click, a reloaded POST) gives back the first report: the
    column is unique, so the second insert stores nothing and the first report is looked up
    then. (No look-up before: a query on every submission for what a double click rarely causes.)

    Nothing is read or written in the session's transaction before the checks and the routing
    have passed: on SQLite that transaction holds the database's write lock (``BEGIN
    IMMEDIATE``) from its first statement, so it now lasts the inserts and the commit.
    ``reference``: the categories and contact addresses the view has already read.
    The rows are written with Core statements (one each for the report, its first event and its
    photos): the ORM's unit of work and a savepoint cost more than the inserts themselves.
    """
    reference = reference or reference_data.current()
    errors = validate(draft, reference)
    if errors:
        raise InvalidReport(errors)
    placement = place(draft)
    category = reference.active_category(draft.category_code)
    assert category is not None  # validated above
    now = utcnow()
    email = draft.email or None
    values: dict[str, Any] = {
        "submission_key": draft.submission_key, "category_code": category.code,
        "municipality_nis": placement.municipality.nis,
        "municipality_to_decide": placement.to_decide, "description": draft.description.strip(),
        "occurred_on": draft.occurred_on, "occurred_at_time": draft.occurred_at_time,
        "street": draft.street.strip(), "postal_code": draft.postal_code,
        "latitude": draft.latitude, "longitude": draft.longitude,
        "details": dict(draft.details),  # checked and normalised by validate
        "email": email, "phone": (draft.phone or "").strip() or None,
        "language": draft.language, "source": draft.source, "safe_contact": draft.safe_contact,
        "created_at": now, "updated_at": now,
        "acknowledge_due_at": add_working_days(now, category.acknowledge_days),
        "close_due_at": add_working_days(now, category.close_days),
    }
    connection = db.session.connection()  # the request's transaction begins here
    statement = _insert_report(connection.dialect.name)
    for _attempt in range(5):
        secret = secrets.token_urlsafe(24)  # 192 bits
        code = new_tracking_code()
        number = new_reference()
        report_id = connection.execute(statement, {
            **values, "reference": number, "tracking_hash": hash_secret(secret),
            "tracking_code_hash": hash_tracking_code(number, code)}).scalar()
        if report_id is None:
            existing = _existing(draft.submission_key)
            if existing is not None:  # the other click came first
                return existing
            continue  # a reference collision: draw another
        connection.execute(_INSERT_EVENT, {"report_id": report_id, "kind": EventKind.CREATED,
                                           "actor": "reporter", "public": True,
                                           "created_at": now})
        if draft.photos:
            connection.execute(_INSERT_PHOTOS, [
                {"report_id": report_id, "filename": photo.name, "width": photo.width,
                 "height": photo.height, "created_at": now} for photo in draft.photos])
        notifications.report_received(
            NewReport(report_id, email, draft.language, category.code,
                      placement.municipality.nis, placement.to_decide, draft.safe_contact),
            secret, format_tracking_code(code), reference)
        return Submitted(report_id, number, secret, created=True, tracking_code=code)
    raise RuntimeError("could not draw a free reference")


def _photo_row(photo: StoredPhoto) -> ReportPhoto:
    return ReportPhoto(filename=photo.name, width=photo.width, height=photo.height)


# Following a report -------------------------------------------------------------------------

def _compact(text: str) -> str:
    """Letters and digits only, in capitals: what people type, without spaces and dashes."""
    return re.sub(r"[^0-9A-Za-z]", "", text or "").upper()


def normalise_reference(text: str) -> str:
    """Accept what people type: lower case, spaces, missing dashes ("bx 7kq2m9xd")."""
    compact = _compact(text)
    if compact.startswith("BX"):
        compact = compact[2:]
    return f"BX-{compact[:4]}-{compact[4:]}" if len(compact) == 8 else ""


def find_by_secret(secret: str) -> Report | None:
    """The report of a private tracking link."""
    if not secret or len(secret) > 100:
        return None
    return db.session.scalar(select(Report).where(Report.tracking_hash == hash_secret(secret)))


def tracking_reference(text: str) -> str:
    """The reference a resident typed, normalised, or "" if no report can have it."""
    reference = normalise_reference(text)
    return reference if REFERENCE_PATTERN.match(reference) else ""


def normalise_tracking_code(text: str) -> str:
    """The compact code from what people type ("7kq2 m9xd-h4pt"), or "" if it cannot be one."""
    compact = _compact(text)
    if len(compact) != TRACKING_CODE_LENGTH or any(c not in REFERENCE_ALPHABET for c in compact):
        return ""
    return compact


def find_by_reference_and_code(reference: str, code: str) -> Report | None:
    """The report that this reference and tracking code open; None whatever the reason."""
    reference = tracking_reference(reference)
    code = normalise_tracking_code(code)
    if not reference or not code:
        return None
    report = find_by_reference(reference)
    # The same work for an unknown reference, a report without a code and a wrong code.
    stored = (report.tracking_code_hash if report is not None else None) or "-" * 64
    if not secrets.compare_digest(stored.encode(), hash_tracking_code(reference, code).encode()):
        return None
    return report


def _link_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="tracking-sent-link")


def sent_link_token(report: Report) -> str:
    """The token of a link that opens ``report`` for ``SENT_LINK_MAX_AGE``.

    Signed rather than stored: the private link's secret is kept only as a hash and cannot be
    sent again, and a new one would break the links of earlier e-mails.
    """
    return _link_signer().dumps(report.reference)


def find_by_sent_link(token: str) -> Report | None:
    """The report of a link sent by "I lost my code", while it is valid."""
    if not token or len(token) > 200:
        return None
    try:
        reference = _link_signer().loads(token, max_age=int(SENT_LINK_MAX_AGE.total_seconds()))
    except BadData:
        return None
    return find_by_reference(reference) if isinstance(reference, str) else None


def send_tracking_link(reference: str, email: str, language: str) -> None:
    """"I lost my code": one message to ``email`` whether or not it is the report's address.

    The report's address receives a link that opens the report; any other address a note that
    no report with this reference has it. Either way one message is queued in the outbox (never
    sent during the request), so neither the answer nor its time tells which it was.
    """
    reference = tracking_reference(reference)
    email = (email or "").strip()
    if not reference or not email:
        raise ValueError("a reference and an e-mail address are needed")
    report = find_by_reference(reference)
    if report is not None and report.email and secrets.compare_digest(
            report.email.lower().encode(), email.lower().encode()):
        notifications.tracking_link(report, sent_link_token(report), SENT_LINK_MAX_AGE.days)
    else:
        notifications.tracking_unknown(email, language, reference)


def find_by_reference(reference: str) -> Report | None:
    return db.session.scalar(select(Report).where(Report.reference == reference))


def add_reporter_information(report: Report, text: str, photos: list[StoredPhoto]) -> ReportEvent:
    """The reporter adds information or photos; the municipality is told."""
    text = text.strip()
    errors: dict[str, str] = {}
    if not text and not photos:
        errors["text"] = _("Write something or add a photo.")
    elif len(text) > MAX_DESCRIPTION:
        errors["text"] = _("Use at most %(max)s characters.", max=MAX_DESCRIPTION)
    if len(report.photos) + len(photos) > MAX_PHOTOS * 2:
        errors["photos"] = _("This report already has as many photos as it can hold.")
    if errors:
        raise InvalidReport(errors)
    report.photos.extend(_photo_row(photo) for photo in photos)
    event = ReportEvent(kind=EventKind.REPORTER_INFO, actor="reporter", public=True, text=text,
                        data={"photos": len(photos)})
    report.events.append(event)
    report.updated_at = utcnow()
    db.session.flush()
    notifications.reporter_added_information(report)
    return event


def details_for_display(report: Report) -> list[tuple[str, str]]:
    """The category's answers as (question, answer) pairs in the current language."""
    return questions.answers_for_display(report.category.questions, report.details)
