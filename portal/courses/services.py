"""What can be done with courses. Views (residents' and organisers' pages) call these and commit once.

Capacity is guarded by a lock on the session's row: every change to who holds a place starts
with ``lock_session``. On PostgreSQL that is ``SELECT … FOR UPDATE`` under a short
``lock_timeout``; on SQLite every transaction is ``BEGIN IMMEDIATE`` (see ``portal/db.py``), so
writers already take turns. Counting places and inserting the new row then happen while nobody
else can, which is what makes overbooking impossible.

``tick`` is the only function here that commits: it is the work of a command run every minute.
"""
from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, ParamSpec, TypeVar
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, func, select, true, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement
from werkzeug.exceptions import Forbidden, NotFound

from portal import csvfile, geo
from portal.accounts.models import Role, StaffUser
from portal.config import LANGUAGES, TIMEZONE
from portal.courses.models import (
    BookingLink,
    CourseSession,
    CourseSessionDate,
    CourseType,
    Purpose,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from portal.courses.reference import COURSE_TYPES
from portal.db import insert_missing, utcnow
from portal.extensions import db
from portal.i18n import _, localized
from portal.reports.services import hash_secret

BRUSSELS = ZoneInfo(TIMEZONE)
MAX_NAME = 120
MAX_VENUE = 200
MAX_ADDRESS = 300
MAX_NOTES = 2000
MAX_CAPACITY = 200
_PHONE = re.compile(r"^\+?[0-9 ./()-]{6,25}$")
#: How long a sign-up waits for a session's lock on PostgreSQL before it is told to try again.
#: ``COURSE_LOCK_TIMEOUT_MS`` in the app config overrides it (tests use a short one).
LOCK_TIMEOUT_MS = 5000
#: A second sign-up attempt with the same e-mail sends a new link at most this often: typing
#: someone else's address again and again must not flood their mailbox.
LINK_RESEND_INTERVAL = timedelta(minutes=15)
#: An offer always ends this long before the start, so that whoever accepts can still get there.
OFFER_ENDS_BEFORE_START = timedelta(minutes=30)
#: No offer shorter than this is made: a place freed later stays free.
SHORTEST_OFFER = timedelta(minutes=30)
#: The reminder leaves at this hour (Brussels time) on the day before the first date.
REMINDER_TIME = time(10, 0)


class Busy(Exception):
    """The session is locked by other sign-ups for too long: the person should try again."""


class SessionClosed(Exception):
    """The session takes no sign-ups (or changes): it started, ended or was cancelled."""


class NoPlace(Exception):
    """An organiser tried to confirm someone in a full session without allowing overbooking."""


class Invalid(Exception):
    """Some fields are wrong; ``errors`` maps each to a message in the current language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


# Reference data --------------------------------------------------------------------------------

def sync_course_types() -> int:
    """Insert the shipped course types that are missing; never overwrite an organiser's edit."""
    return insert_missing(CourseType, COURSE_TYPES)


def active_course_types() -> list[CourseType]:
    """The course types residents can filter on, in their shipped order."""
    return list(db.session.scalars(
        select(CourseType).where(CourseType.active.is_(True)).order_by(CourseType.position)))


# Places ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Availability:
    """How many places a session has, holds and has waiting; "full" is derived from it."""

    capacity: int
    #: Confirmed and offered registrations.
    taken: int
    waiting: int

    @property
    def places_left(self) -> int:
        """Places a new sign-up can have now: none while someone is waiting (they come first)."""
        return 0 if self.waiting else max(0, self.capacity - self.taken)

    @property
    def is_full(self) -> bool:
        """No place for a newcomer: they join the waiting list."""
        return self.places_left == 0


def _counts() -> tuple[Any, Any]:
    taken = func.count(Registration.id).filter(Registration.status.in_(RegistrationStatus.HOLDING))
    waiting = func.count(Registration.id).filter(Registration.status == RegistrationStatus.WAITING)
    return taken, waiting


def availabilities(sessions: Iterable[CourseSession]) -> dict[int, Availability]:
    """Availability of several sessions in one query (lists)."""
    sessions = list(sessions)
    taken, waiting = _counts()
    rows = db.session.execute(
        select(Registration.session_id, taken, waiting)
        .where(Registration.session_id.in_([s.id for s in sessions]))
        .group_by(Registration.session_id)).all()
    found = {row[0]: (row[1], row[2]) for row in rows}
    return {s.id: Availability(s.capacity, *found.get(s.id, (0, 0))) for s in sessions}


def availability(session: CourseSession) -> Availability:
    """Availability of one session (exact when called under its lock)."""
    return availabilities([session])[session.id]


def accepts_sign_ups(session: CourseSession, now: datetime | None = None) -> bool:
    """Open and not started yet."""
    return session.status == SessionStatus.OPEN and session.starts_at > (now or utcnow())


def _lock_timeout_ms() -> int:
    return int(current_app.config.get("COURSE_LOCK_TIMEOUT_MS", LOCK_TIMEOUT_MS))


def is_busy_error(error: Exception) -> bool:
    """A lock or a connection that could not be had in time.

    PostgreSQL's lock timeout (55P03), SQLite's "database is locked" after its busy timeout,
    and the connection pool's own timeout when a burst of sign-ups holds every connection.
    """
    if isinstance(error, PoolTimeoutError):
        return True
    if not isinstance(error, OperationalError):
        return False
    return (getattr(error.orig, "sqlstate", None) == "55P03"
            or "database is locked" in str(error.orig))


def lock_session(session_id: int) -> CourseSession | None:
    """Take the session's row lock for the rest of the transaction, and read it fresh.

    Raises Busy when other transactions hold it longer than the lock timeout; the caller
    rolls back and asks the person to try again.
    """
    try:
        if db.session.get_bind().dialect.name == "postgresql":
            # Only for this transaction: a sign-up waits a few seconds, never indefinitely.
            db.session.execute(select(func.set_config("lock_timeout", f"{_lock_timeout_ms()}ms",
                                                      True)))
        return db.session.scalar(
            select(CourseSession).where(CourseSession.id == session_id)
            .with_for_update(of=CourseSession)
            .execution_options(populate_existing=True))
    except (OperationalError, PoolTimeoutError) as error:
        if is_busy_error(error):
            raise Busy from error
        raise


P = ParamSpec("P")
R = TypeVar("R")


def _lock_timeout_is_busy(function: Callable[P, R]) -> Callable[P, R]:
    """Any lock timeout in a service becomes Busy, so the person is asked to try again."""
    # Not only the session's row: a registration row held by ``tick``'s reminders, or a
    # unique-index entry that another sign-up is inserting, can make a statement wait too.

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return function(*args, **kwargs)
        except (OperationalError, PoolTimeoutError) as error:
            if is_busy_error(error):
                raise Busy from error
            raise

    return wrapper


def _lock_registration(registration: Registration) -> CourseSession:
    """Lock the registration's session, then read the registration again under that lock."""
    session = lock_session(registration.session_id)
    assert session is not None  # sessions are never deleted
    db.session.refresh(registration)
    return session


def waiting_position(registration: Registration) -> int | None:
    """1 for the first person waiting; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    return db.session.scalar(select(func.count(Registration.id)).where(
        Registration.session_id == registration.session_id,
        Registration.status == RegistrationStatus.WAITING,
        Registration.id <= registration.id))


def offer_deadline(starts_at: datetime, now: datetime) -> datetime:
    """Until when a freed place is held for the person it is offered to.

    48 hours when the course is more than a week away, 24 hours when it is two to seven days
    away, 4 hours within two days; always ending half an hour before the start.
    """
    lead = starts_at - now
    if lead > timedelta(days=7):
        window = timedelta(hours=48)
    elif lead > timedelta(days=2):
        window = timedelta(hours=24)
    else:
        window = timedelta(hours=4)
    return min(now + window, starts_at - OFFER_ENDS_BEFORE_START)


def fill_places(session: CourseSession, now: datetime) -> list[Registration]:
    """Offer each free place to the next person waiting. Call it under the session's lock."""
    if session.status != SessionStatus.OPEN:
        return []
    deadline = offer_deadline(session.starts_at, now)
    if deadline - now < SHORTEST_OFFER:
        return []
    seats = availability(session)
    free = session.capacity - seats.taken
    if free <= 0 or not seats.waiting:
        return []
    offered = list(db.session.scalars(
        select(Registration)
        .where(Registration.session_id == session.id,
               Registration.status == RegistrationStatus.WAITING)
        .order_by(Registration.id).limit(free)
        .execution_options(populate_existing=True)))
    for registration in offered:
        registration.status = RegistrationStatus.OFFERED
        registration.offered_at = now
        registration.offer_expires_at = deadline
    db.session.flush()
    for registration in offered:
        _send(registration, "course_offer", with_link=True)
    return offered


def _end(registration: Registration, status: str, now: datetime) -> None:
    registration.status = status
    registration.ended_at = now
    registration.active_key = None


# Residents' sign-up ----------------------------------------------------------------------------

@dataclass
class SignUp:
    """What the sign-up form sends: at most five fields, plus the page's language."""

    name: str
    email: str
    purpose: str
    language: str
    phone: str | None = None
    #: The random key of the form: the same key twice makes one registration.
    submission_key: str | None = None


@dataclass
class SignUpResult:
    """``outcome``: "confirmed", "waiting", "repeat" (the same form twice) or "duplicate".

    For "duplicate" (an active booking exists for this e-mail and course type) ``registration``
    and ``token`` are None: whoever typed the address must learn nothing more about it. A new
    link went to the address itself.
    """

    outcome: str
    registration: Registration | None = None
    #: The secret of a private link to the booking (only ever shown to who made it).
    token: str | None = None
    position: int | None = None


def validate_sign_up(form: SignUp) -> dict[str, str]:
    """Check the fields; normalises the e-mail address in place."""
    errors: dict[str, str] = {}
    form.name = " ".join((form.name or "").split())
    if not form.name:
        errors["name"] = _("Give your name.")
    elif len(form.name) > MAX_NAME:
        errors["name"] = _("Use at most %(max)s characters.", max=MAX_NAME)
    try:
        form.email = validate_email(form.email or "", check_deliverability=False).normalized
    except EmailNotValidError:
        errors["email"] = _("Give a valid e-mail address, for example name@example.be.")
    form.phone = (form.phone or "").strip() or None
    if form.phone and not _PHONE.match(form.phone):
        errors["phone"] = _("Give a phone number with digits only, for example 0470 12 34 56, or leave it empty.")
    if form.purpose not in Purpose.ALL:
        errors["purpose"] = _("Choose why you take the course.")
    if form.language not in LANGUAGES:
        form.language = LANGUAGES[0]
    return errors


def active_key(course_type_code: str, email: str) -> str:
    """The value that makes one active booking per e-mail address and course type."""
    return hash_secret(f"{course_type_code}\n{email.strip().lower()}")


@_lock_timeout_is_busy
def sign_up(session_id: int, form: SignUp, now: datetime | None = None) -> SignUpResult:
    """Confirm a place while one is free and nobody waits; otherwise join the waiting list.

    Raises Invalid (nothing stored), LookupError (no such session), SessionClosed, or Busy.
    """
    now = now or utcnow()
    errors = validate_sign_up(form)
    if errors:
        raise Invalid(errors)
    session = lock_session(session_id)
    if session is None:
        raise LookupError(session_id)
    repeat = _by_submission_key(form.submission_key)
    if repeat is not None:
        return _repeat(repeat)
    if not accepts_sign_ups(session, now):
        raise SessionClosed
    key = active_key(session.course_type_code, form.email)
    existing = db.session.scalar(select(Registration).where(Registration.active_key == key))
    if existing is not None:
        resend_link(existing, now)
        return SignUpResult("duplicate")
    seats = availability(session)
    confirmed = seats.places_left > 0
    registration = Registration(
        session_id=session.id, name=form.name, email=form.email, phone=form.phone,
        purpose=form.purpose, language=form.language, active_key=key,
        submission_key=form.submission_key or None, created_at=now,
        status=RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITING,
        confirmed_at=now if confirmed else None)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(registration)
        db.session.flush()
    except IntegrityError:
        # Another transaction committed the same form, or a booking of this type with this
        # address in another session, between our check and our insert.
        savepoint.rollback()
        repeat = _by_submission_key(form.submission_key)
        if repeat is not None:
            return _repeat(repeat)
        existing = db.session.scalar(select(Registration).where(Registration.active_key == key))
        if existing is None:
            raise
        resend_link(existing, now)
        return SignUpResult("duplicate")
    savepoint.commit()
    token = new_link(registration)
    if confirmed:
        _send(registration, "course_confirmed", token=token, calendar=True)
        return SignUpResult("confirmed", registration, token)
    position = waiting_position(registration)
    _send(registration, "course_waiting", token=token, position=position)
    return SignUpResult("waiting", registration, token, position)


def _by_submission_key(key: str | None) -> Registration | None:
    if not key:
        return None
    return db.session.scalar(select(Registration).where(Registration.submission_key == key))


def _repeat(registration: Registration) -> SignUpResult:
    return SignUpResult("repeat", registration, new_link(registration),
                        waiting_position(registration))


def new_link(registration: Registration) -> str:
    """A new private link to the booking; returns its secret (192 bits), stores its hash."""
    secret = secrets.token_urlsafe(24)
    registration.links.append(BookingLink(token_hash=hash_secret(secret)))
    db.session.flush()
    return secret


def resend_link(registration: Registration, now: datetime | None = None) -> bool:
    """E-mail a new link to an active booking's own address (at most every 15 minutes)."""
    now = now or utcnow()
    if registration.email is None or (
            registration.link_sent_at is not None
            and now - registration.link_sent_at < LINK_RESEND_INTERVAL):
        return False
    registration.link_sent_at = now
    _send(registration, "course_link", with_link=True)
    return True


def find_by_token(token: str) -> Registration | None:
    """The registration of a private link."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(select(Registration).join(BookingLink)
                             .where(BookingLink.token_hash == hash_secret(token)))


@_lock_timeout_is_busy
def cancel_registration(registration: Registration, now: datetime | None = None) -> bool:
    """The registrant cancels (or leaves the waiting list); a freed place is offered at once.

    Returns False when there was nothing to cancel; raises SessionClosed once it started.
    """
    now = now or utcnow()
    session = _lock_registration(registration)
    if not registration.is_active:
        return False
    if session.starts_at <= now:
        raise SessionClosed
    held = registration.status in RegistrationStatus.HOLDING
    _end(registration, RegistrationStatus.CANCELLED, now)
    db.session.flush()
    if held:
        fill_places(session, now)
    return True


@_lock_timeout_is_busy
def accept_offer(registration: Registration, now: datetime | None = None) -> str:
    """Take an offered place: "confirmed", "already" (confirmed before), "expired" or "gone".

    An offer past its deadline is treated as ``tick`` would: expired, and passed on. "gone":
    there is no offer (declined, cancelled, still waiting).
    """
    now = now or utcnow()
    session = _lock_registration(registration)
    if registration.status == RegistrationStatus.CONFIRMED:
        return "already"
    if registration.status == RegistrationStatus.EXPIRED:
        return "expired"
    if registration.status != RegistrationStatus.OFFERED:
        return "gone"
    if registration.offer_expires_at is None or registration.offer_expires_at <= now:
        _end(registration, RegistrationStatus.EXPIRED, now)
        db.session.flush()
        fill_places(session, now)
        return "expired"
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    db.session.flush()
    _send(registration, "course_confirmed", with_link=True, calendar=True)
    return "confirmed"


@_lock_timeout_is_busy
def decline_offer(registration: Registration, now: datetime | None = None) -> bool:
    """Refuse an offered place: it goes to the next person waiting at once."""
    now = now or utcnow()
    session = _lock_registration(registration)
    if registration.status != RegistrationStatus.OFFERED:
        return False
    _end(registration, RegistrationStatus.DECLINED, now)
    db.session.flush()
    fill_places(session, now)
    return True


# Finding sessions ------------------------------------------------------------------------------

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


# Messages --------------------------------------------------------------------------------------

def _send(registration: Registration, template: str, *, token: str | None = None,
          with_link: bool = False, calendar: bool = False, **context: Any) -> None:
    """Queue a message to the registrant, in their language, with their own private link."""
    from portal.courses.ics import session_calendar
    from portal.notify.services import Attachment, external_url, queue_email

    if registration.email is None:  # erased
        return
    if token is None and with_link:
        token = new_link(registration)
    session = registration.session
    lang = registration.language
    links = {}
    if token is not None:
        links = {name: external_url(f"courses.{name}", token=token, lang=lang)
                 for name in ("booking", "cancel", "accept", "decline")}
    attachments = []
    if calendar:
        booking_url = links.get("booking")
        attachments.append(Attachment("course.ics", "text/calendar; charset=utf-8",
                                      session_calendar(session, lang, booking_url)))
    queue_email(registration.email, template, lang, attachments=attachments,
                registration=registration, session=session, links=links,
                municipality=geo.municipality(session.municipality_nis),
                list_url=external_url("courses.index", lang=lang), **context)


# Organisers ------------------------------------------------------------------------------------

@dataclass
class SessionDraft:
    """A session as an organiser describes it."""

    course_type_code: str
    language: str
    venue_name: str
    address: str
    municipality_nis: str
    capacity: int
    #: (start, end) pairs, aware datetimes.
    dates: list[tuple[datetime, datetime]]
    #: language -> practical notes (what to bring, access).
    notes: dict[str, str] = field(default_factory=dict)
    organiser_id: int | None = None


def validate_session(draft: SessionDraft) -> dict[str, str]:
    """Check an organiser's session against the portal's rules."""
    errors: dict[str, str] = {}
    course_type = db.session.get(CourseType, draft.course_type_code)
    if course_type is None or not course_type.active:
        errors["course_type"] = _("Choose one of the course types.")
    if draft.language not in LANGUAGES:
        errors["language"] = _("Choose the language of the course.")
    draft.venue_name = " ".join((draft.venue_name or "").split())
    draft.address = " ".join((draft.address or "").split())
    if not draft.venue_name:
        errors["venue_name"] = _("Give the name of the place.")
    elif len(draft.venue_name) > MAX_VENUE:
        errors["venue_name"] = _("Use at most %(max)s characters.", max=MAX_VENUE)
    if not draft.address:
        errors["address"] = _("Give the address.")
    elif len(draft.address) > MAX_ADDRESS:
        errors["address"] = _("Use at most %(max)s characters.", max=MAX_ADDRESS)
    if draft.municipality_nis not in {m.nis for m in geo.municipalities()}:
        errors["municipality"] = _("Choose one of the 19 municipalities.")
    if not isinstance(draft.capacity, int) or not 1 <= draft.capacity <= MAX_CAPACITY:
        errors["capacity"] = _("Give a number of places between 1 and %(max)s.", max=MAX_CAPACITY)
    if not draft.dates:
        errors["dates"] = _("Give at least one date.")
    elif any(start.tzinfo is None or end <= start for start, end in draft.dates):
        errors["dates"] = _("Each date must end after it starts.")
    for lang, text in draft.notes.items():
        if lang not in LANGUAGES or len(text) > MAX_NOTES:
            errors[f"notes_{lang}"] = _("Use at most %(max)s characters.", max=MAX_NOTES)
    return errors


def _apply(session: CourseSession, draft: SessionDraft) -> None:
    session.course_type_code = draft.course_type_code
    session.language = draft.language
    session.venue_name = draft.venue_name
    session.address = draft.address
    session.municipality_nis = draft.municipality_nis
    session.capacity = draft.capacity
    session.organiser_id = draft.organiser_id
    for lang in LANGUAGES:
        setattr(session, f"notes_{lang}", (draft.notes.get(lang) or "").strip())
    dates = sorted(draft.dates)
    kept = {(d.starts_at, d.ends_at): d for d in session.dates}
    session.dates = [kept.get((start, end)) or CourseSessionDate(starts_at=start, ends_at=end)
                     for start, end in dates]
    session.starts_at = dates[0][0]
    session.ends_at = max(end for _start, end in dates)


def create_session(draft: SessionDraft) -> CourseSession:
    """Create an open session; raises Invalid."""
    errors = validate_session(draft)
    if errors:
        raise Invalid(errors)
    session = CourseSession(status=SessionStatus.OPEN)
    _apply(session, draft)
    db.session.add(session)
    db.session.flush()
    return session


@_lock_timeout_is_busy
def update_session(session_id: int, draft: SessionDraft, now: datetime | None = None) -> CourseSession:
    """Change a session; more places go to the people waiting at once.

    Raises Invalid (including fewer places than people already holding one), SessionClosed
    for a cancelled or finished session, Busy, LookupError.
    """
    now = now or utcnow()
    errors = validate_session(draft)
    session = lock_session(session_id)
    if session is None:
        raise LookupError(session_id)
    if session.status != SessionStatus.OPEN:
        raise SessionClosed
    taken = availability(session).taken
    if "capacity" not in errors and draft.capacity < taken:
        errors["capacity"] = _("%(count)s people already have a place: give at least that many places.",
                               count=taken)
    if (draft.course_type_code != session.course_type_code
            and any(r.is_active for r in session.registrations)):
        errors["course_type"] = _("The course type cannot change once people have signed up.")
    if errors:
        raise Invalid(errors)
    _apply(session, draft)
    db.session.flush()
    fill_places(session, now)
    return session


@_lock_timeout_is_busy
def cancel_session(session_id: int, now: datetime | None = None) -> CourseSession:
    """The organiser cancels a session: every active registrant is told, in their language."""
    now = now or utcnow()
    session = lock_session(session_id)
    if session is None:
        raise LookupError(session_id)
    if session.status != SessionStatus.OPEN:
        raise SessionClosed
    session.status = SessionStatus.CANCELLED
    session.cancelled_at = now
    # Those who held a place had the dates in their calendar: they get a file that removes them.
    told = [(r, r.status in RegistrationStatus.HOLDING) for r in session.registrations
            if r.is_active]
    for registration, _held in told:
        _end(registration, RegistrationStatus.SESSION_CANCELLED, now)
    db.session.flush()
    alternatives = suggestions(session, now)
    for registration, held in told:
        _send(registration, "course_session_cancelled", calendar=held, alternatives=alternatives)
    return session


@_lock_timeout_is_busy
def promote(registration: Registration, reason: str, now: datetime | None = None, *,
            allow_over_capacity: bool = False) -> None:
    """An organiser confirms someone from the waiting list ahead of the queue, saying why.

    Raises NoPlace when the session is full, unless ``allow_over_capacity`` (the organiser
    decided to take one more).
    """
    now = now or utcnow()
    session = _lock_registration(registration)
    if session.status != SessionStatus.OPEN:
        raise SessionClosed
    if registration.status not in (RegistrationStatus.WAITING, RegistrationStatus.OFFERED):
        raise Invalid({"registration": _("Only someone on the waiting list can be moved.")})
    reason = reason.strip()
    if not reason:
        raise Invalid({"reason": _("Say why this person goes before the others.")})
    seats = availability(session)
    holding = registration.status == RegistrationStatus.OFFERED
    if not holding and seats.taken >= session.capacity and not allow_over_capacity:
        raise NoPlace
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.promotion_reason = reason[:2000]
    db.session.flush()
    _send(registration, "course_confirmed", with_link=True, calendar=True)


def check_in(registration: Registration, attended: bool, now: datetime | None = None) -> None:
    """Record presence or absence on the day (kept after the personal data is erased)."""
    if registration.status != RegistrationStatus.CONFIRMED:
        raise Invalid({"registration": _("Only a confirmed participant can be marked present or absent.")})
    registration.attended = attended
    registration.checked_in_at = now or utcnow()
    db.session.flush()


def participants(session: CourseSession) -> list[Registration]:
    """Who holds a place, then who waits, in queue order."""
    order = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.OFFERED: 1,
             RegistrationStatus.WAITING: 2}
    rows = [r for r in session.registrations if r.status in order]
    return sorted(rows, key=lambda r: (order[r.status], r.id))


def participants_csv(session: CourseSession) -> str:
    """The list for the organiser's spreadsheet, in the current language."""
    header = [_("Name"), _("E-mail address"), _("Phone"), _("Reason"), _("Status"), _("Present")]
    return csvfile.text([header] + [
        [r.name, r.email, r.phone, r.purpose_title, r.status_title,
         "" if r.attended is None else (_("Yes") if r.attended else _("No"))]
        for r in participants(session)])


@dataclass(frozen=True)
class Attestation:
    """What a participation attestation states."""

    name: str
    course_type: str
    dates: list[CourseSessionDate]
    venue: str
    municipality: str


def attestation(registration: Registration, lang: str) -> Attestation:
    """The facts of an attestation; only for someone recorded present."""
    if not registration.attended or registration.name is None:
        raise Invalid({"registration": _("Only a participant recorded as present gets an attestation.")})
    session = registration.session
    return Attestation(registration.name, localized(session.course_type, "name", lang),
                       list(session.dates), f"{session.venue_name}, {session.address}",
                       geo.municipality(session.municipality_nis).name(lang))


# The organisers' workspace: who manages what ---------------------------------------------------
#
# Authorization lives here, not in the views, as in ``reports.triage``: an organiser manages the
# sessions whose ``organiser_id`` is theirs, an administrator every session, nobody else any.
# Another organiser's session is NotFound, not Forbidden: its existence is not revealed.

#: The most past sessions the organisers' list shows (the newest first).
PAST_SESSIONS_SHOWN = 50


def manages_courses(user: StaffUser) -> bool:
    """Course organisers and administrators work on sessions; other staff do not."""
    return user.role in (Role.ORGANISER, Role.ADMIN)


def require_course_role(user: StaffUser) -> None:
    """Refuse (403) anyone who is neither an organiser nor an administrator."""
    if not manages_courses(user):
        raise Forbidden()


def _manageable(user: StaffUser) -> ColumnElement[bool]:
    """The SQL condition of the sessions ``user`` may manage."""
    require_course_role(user)
    if user.role == Role.ADMIN:
        return true()
    return CourseSession.organiser_id == user.id


@dataclass
class OrganiserSessions:
    """The organiser's list: what is coming or under way, then what is over."""

    #: Not ended yet (including today's and cancelled ones), soonest first.
    upcoming: list[CourseSession]
    #: Ended, most recent first (at most ``PAST_SESSIONS_SHOWN``).
    past: list[CourseSession]


def sessions_for(user: StaffUser, now: datetime | None = None) -> OrganiserSessions:
    """The sessions ``user`` manages: upcoming first (soonest first), then past ones."""
    now = now or utcnow()
    query = select(CourseSession).where(_manageable(user)).options(selectinload(CourseSession.dates))
    upcoming = db.session.scalars(query.where(CourseSession.ends_at > now)
                                  .order_by(CourseSession.starts_at, CourseSession.id))
    past = db.session.scalars(query.where(CourseSession.ends_at <= now)
                              .order_by(CourseSession.starts_at.desc(), CourseSession.id.desc())
                              .limit(PAST_SESSIONS_SHOWN))
    return OrganiserSessions(list(upcoming), list(past))


def session_for(user: StaffUser, session_id: int) -> CourseSession:
    """The session if ``user`` may manage it; otherwise 404, as if it did not exist."""
    session = db.session.scalar(select(CourseSession).where(
        CourseSession.id == session_id, _manageable(user)))
    if session is None:
        raise NotFound()
    return session


def registration_for(user: StaffUser, session_id: int, registration_id: int) -> Registration:
    """A registration of a session ``user`` manages; otherwise 404."""
    session = session_for(user, session_id)
    registration = db.session.scalar(select(Registration).where(
        Registration.id == registration_id, Registration.session_id == session.id))
    if registration is None:
        raise NotFound()
    return registration


def organisers() -> list[StaffUser]:
    """Active organiser accounts, by name: an administrator hands a session to one of them."""
    return list(db.session.scalars(select(StaffUser).where(
        StaffUser.role == Role.ORGANISER, StaffUser.active.is_(True)).order_by(StaffUser.name)))


def organiser_names(sessions: Iterable[CourseSession]) -> dict[int, str]:
    """Organiser id -> name for a list (administrators see who runs what)."""
    ids = {s.organiser_id for s in sessions if s.organiser_id is not None}
    if not ids:
        return {}
    rows = db.session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def owner_for(user: StaffUser, requested: int | None,
              session: CourseSession | None = None) -> int | None:
    """Who will own a session ``user`` creates or changes.

    An organiser's session is theirs: whatever the form says, an organiser neither creates a
    session for someone else nor gives one away. An administrator chooses an active organiser
    or nobody (administrators only); keeping a session's current owner is always allowed.
    Raises Invalid for any other account.
    """
    require_course_role(user)
    if user.role == Role.ORGANISER:
        return user.id if session is None else session.organiser_id
    if requested is None or (session is not None and requested == session.organiser_id):
        return requested
    if requested not in {organiser.id for organiser in organisers()}:
        raise Invalid({"organiser": _("Choose one of the organisers.")})
    return requested


# The minute job --------------------------------------------------------------------------------

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
            _end(registration, RegistrationStatus.EXPIRED, now)
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
            _send(registration, "course_reminder", with_link=True)
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


def attendance_figures(session: CourseSession) -> dict[str, int]:
    """Counts that outlive the personal data: by status, and present/absent."""
    rows = db.session.execute(select(Registration.status, func.count(Registration.id))
                              .where(Registration.session_id == session.id)
                              .group_by(Registration.status)).all()
    figures = {status: count for status, count in rows}
    figures["present"] = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.session_id == session.id, Registration.attended.is_(True))) or 0
    figures["absent"] = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.session_id == session.id, Registration.attended.is_(False))) or 0
    return figures


