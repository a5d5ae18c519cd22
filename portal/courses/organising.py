"""Organisers' work on sessions, and who may do it.

Authorization lives here, not in the views, as in ``reports.triage``: an organiser manages the
sessions whose ``organiser_id`` is theirs, an administrator every session, nobody else any.
Another organiser's session is ``NotManaged`` (404), not forbidden: its existence is not revealed.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, true
from sqlalchemy.orm import selectinload
from sqlalchemy.sql.elements import ColumnElement

from portal import geo
from portal.accounts.models import Role, StaffUser
from portal.config import LANGUAGES
from portal.courses import attendance, notifications
from portal.courses.exceptions import (
    Invalid,
    NoPlace,
    NotManaged,
    NotOrganiser,
    SessionClosed,
)
from portal.courses.listing import suggestions
from portal.courses.models import (
    AttestationRule,
    CourseSession,
    CourseSessionDate,
    CourseType,
    Registration,
    RegistrationStatus,
    SessionStatus,
)
from portal.courses.places import (
    availability,
    busy_on_lock_timeout,
    end_registration,
    fill_places,
    lock_registration,
    lock_session,
)
from portal.courses.waiting import holds_place_elsewhere, take_place
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import _, ngettext

MAX_VENUE = 200
MAX_ADDRESS = 300
MAX_NOTES = 2000
MAX_CAPACITY = 200


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
    #: One of ``AttestationRule``.
    attestation_rule: str = AttestationRule.ALL_DAYS


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
    if draft.attestation_rule not in AttestationRule.ALL:
        errors["attestation_rule"] = _("Choose who gets an attestation.")
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
    session.attestation_rule = draft.attestation_rule
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


@dataclass
class SessionChanged:
    """What saving or cancelling a session did, for the organiser's confirmation."""

    session: CourseSession
    #: Registrations the change offered a place to (more places) or told (a cancellation).
    reached: list[Registration]


@busy_on_lock_timeout
def update_session(session_id: int, draft: SessionDraft, now: datetime | None = None) -> SessionChanged:
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
        errors["capacity"] = ngettext("%(num)s person already has a place: give at least that many places.",
                                      "%(num)s people already have a place: give at least that many places.",
                                      taken)
    if (draft.course_type_code != session.course_type_code
            and any(r.is_active for r in session.registrations)):
        errors["course_type"] = _("The course type cannot change once people have signed up.")
    if errors:
        raise Invalid(errors)
    _apply(session, draft)
    db.session.flush()
    return SessionChanged(session, fill_places(session, now))


@busy_on_lock_timeout
def cancel_session(session_id: int, now: datetime | None = None) -> SessionChanged:
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
        end_registration(registration, RegistrationStatus.SESSION_CANCELLED, now)
    db.session.flush()
    alternatives = suggestions(session, now)
    for registration, held in told:
        notifications.send(registration, "course_session_cancelled", calendar=held, alternatives=alternatives)
    return SessionChanged(session, [registration for registration, _held in told])


@busy_on_lock_timeout
def promote(registration: Registration, reason: str, now: datetime | None = None, *,
            allow_over_capacity: bool = False) -> None:
    """An organiser confirms someone from the waiting list ahead of the queue, saying why.

    Raises NoPlace when the session is full, unless ``allow_over_capacity`` (the organiser
    decided to take one more).
    """
    now = now or utcnow()
    session = lock_registration(registration)
    if session.status != SessionStatus.OPEN:
        raise SessionClosed
    if registration.status not in (RegistrationStatus.WAITING, RegistrationStatus.OFFERED):
        raise Invalid({"registration": _("Only someone on the waiting list can be moved.")})
    reason = reason.strip()
    if not reason:
        raise Invalid({"reason": _("Say why this person goes before the others.")})
    if holds_place_elsewhere(registration):
        raise Invalid({"registration": _("This person already has a place in another session of this course.")})
    seats = availability(session)
    holding = registration.status == RegistrationStatus.OFFERED
    if not holding and seats.taken >= session.capacity and not allow_over_capacity:
        raise NoPlace
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.promotion_reason = reason[:2000]
    db.session.flush()
    left = take_place(registration, now)
    notifications.send(registration, "course_confirmed", with_link=True, calendar=True,
                       left_waiting=left)


def check_in(registration: Registration, attended: bool, now: datetime | None = None,
             day: CourseSessionDate | None = None) -> None:
    """Record presence or absence on one day (see ``attendance.check_in``)."""
    attendance.check_in(registration, attended, now, day)


def participants(session: CourseSession) -> list[Registration]:
    """Who holds a place, then who waits, in queue order.

    For a cancelled session: who was signed up when it was cancelled, so that the organiser can
    still phone them.
    """
    order = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.OFFERED: 1,
             RegistrationStatus.WAITING: 2}
    if session.status == SessionStatus.CANCELLED:
        order = {RegistrationStatus.SESSION_CANCELLED: 0}
    rows = [r for r in session.registrations if r.status in order]
    return sorted(rows, key=lambda r: (order[r.status], r.id))


def attendance_figures(session: CourseSession) -> dict[str, int]:
    """Counts that outlive the personal data: by status, and present/absent."""
    rows = db.session.execute(select(Registration.status, func.count(Registration.id))
                              .where(Registration.session_id == session.id)
                              .group_by(Registration.status)).all()
    figures = dict(rows)
    figures["present"] = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.session_id == session.id, Registration.attended.is_(True))) or 0
    figures["absent"] = db.session.scalar(select(func.count(Registration.id)).where(
        Registration.session_id == session.id, Registration.attended.is_(False))) or 0
    return figures


# Who manages what -------------------------------------------------------------------------------

#: The most past sessions the organisers' list shows (the newest first).
PAST_SESSIONS_SHOWN = 50


def manages_courses(user: StaffUser) -> bool:
    """Course organisers and administrators work on sessions; other staff (and anonymous
    requests that reach a check, such as an OPTIONS request) do not."""
    return getattr(user, "role", None) in (Role.ORGANISER, Role.ADMIN)


def require_course_role(user: StaffUser) -> None:
    """Refuse anyone who is neither an organiser nor an administrator."""
    if not manages_courses(user):
        raise NotOrganiser


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
    """The session if ``user`` may manage it; otherwise NotManaged, as if it did not exist."""
    session = db.session.scalar(select(CourseSession).where(
        CourseSession.id == session_id, _manageable(user)))
    if session is None:
        raise NotManaged
    return session


def registration_for(user: StaffUser, session_id: int, registration_id: int) -> Registration:
    """A registration of a session ``user`` manages; otherwise NotManaged."""
    session = session_for(user, session_id)
    registration = db.session.scalar(select(Registration).where(
        Registration.id == registration_id, Registration.session_id == session.id))
    if registration is None:
        raise NotManaged
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
    return dict(rows.all())  # a list: a Result has keys(), so dict() would take it for a mapping


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
