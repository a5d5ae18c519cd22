"""A resident's own booking: sign up, wait, accept or decline an offer, cancel."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.config import LANGUAGES
from portal.contact import PHONE_PATTERN
from portal.courses import links, notifications
from portal.courses.exceptions import Invalid, SessionClosed
from portal.courses.models import Purpose, Registration, RegistrationStatus
from portal.courses.places import (
    accepts_sign_ups,
    availability,
    busy_on_lock_timeout,
    end_registration,
    fill_places,
    lock_registration,
    lock_session,
    waiting_position,
)
from portal.courses.waiting import holding_key, take_place, waiting_key
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import _

MAX_NAME = 120
#: A second sign-up attempt with the same e-mail sends a new link at most this often: typing
#: someone else's address again and again must not flood their mailbox.
LINK_RESEND_INTERVAL = timedelta(minutes=15)


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
    #: Waiting entries for other sessions of the course that ended because a place was taken.
    left_waiting: int = 0


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
    if form.phone and not PHONE_PATTERN.match(form.phone):
        errors["phone"] = _("Give a phone number with digits only, for example 0470 12 34 56, or leave it empty.")
    if form.purpose not in Purpose.ALL:
        errors["purpose"] = _("Choose why you take the course.")
    if form.language not in LANGUAGES:
        form.language = LANGUAGES[0]
    return errors


def active_key(course_type_code: str, email: str) -> str:
    """The key of the one place an address may hold per course type (see ``waiting``)."""
    return holding_key(course_type_code, email)


def _active(holding: str, waiting: str) -> Registration | None:
    """The address's place in this course type, or its entry on this session's waiting list."""
    return db.session.scalar(select(Registration).where(
        Registration.active_key.in_((holding, waiting))).order_by(Registration.id).limit(1))


@busy_on_lock_timeout
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
    holding = holding_key(session.course_type_code, form.email)
    waiting = waiting_key(session.course_type_code, form.email, session.id)
    existing = _active(holding, waiting)
    if existing is not None:
        resend_link(existing, now)
        return SignUpResult("duplicate")
    seats = availability(session)
    confirmed = seats.places_left > 0
    registration = Registration(
        session_id=session.id, name=form.name, email=form.email, phone=form.phone,
        purpose=form.purpose, language=form.language,
        active_key=holding if confirmed else waiting,
        submission_key=form.submission_key or None, created_at=now,
        status=RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITING,
        confirmed_at=now if confirmed else None)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(registration)
        db.session.flush()
    except IntegrityError:
        # Another transaction committed the same form, or a place of this type (or this
        # waiting list) with this address, between our check and our insert.
        savepoint.rollback()
        repeat = _by_submission_key(form.submission_key)
        if repeat is not None:
            return _repeat(repeat)
        existing = _active(holding, waiting)
        if existing is None:
            raise
        resend_link(existing, now)
        return SignUpResult("duplicate")
    savepoint.commit()
    token = links.new_link(registration)
    if confirmed:
        left = take_place(registration, now)
        notifications.send(registration, "course_confirmed", token=token, calendar=True,
                           left_waiting=left)
        return SignUpResult("confirmed", registration, token, left_waiting=left)
    position = waiting_position(registration)
    notifications.send(registration, "course_waiting", token=token, position=position)
    return SignUpResult("waiting", registration, token, position)


def _by_submission_key(key: str | None) -> Registration | None:
    if not key:
        return None
    return db.session.scalar(select(Registration).where(Registration.submission_key == key))


def _repeat(registration: Registration) -> SignUpResult:
    return SignUpResult("repeat", registration, links.new_link(registration),
                        waiting_position(registration))


def resend_link(registration: Registration, now: datetime | None = None) -> bool:
    """E-mail a new link to an active booking's own address (at most every 15 minutes)."""
    now = now or utcnow()
    if registration.email is None or (
            registration.link_sent_at is not None
            and now - registration.link_sent_at < LINK_RESEND_INTERVAL):
        return False
    registration.link_sent_at = now
    notifications.send(registration, "course_link", with_link=True)
    return True


@busy_on_lock_timeout
def cancel_registration(registration: Registration, now: datetime | None = None) -> bool:
    """The registrant cancels (or leaves the waiting list); a freed place is offered at once.

    Returns False when there was nothing to cancel; raises SessionClosed once it started.
    """
    now = now or utcnow()
    session = lock_registration(registration)
    if not registration.is_active:
        return False
    if session.starts_at <= now:
        raise SessionClosed
    held = registration.status in RegistrationStatus.HOLDING
    end_registration(registration, RegistrationStatus.CANCELLED, now)
    db.session.flush()
    if held:
        fill_places(session, now)
    return True


@busy_on_lock_timeout
def accept_offer(registration: Registration, now: datetime | None = None) -> str:
    """Take an offered place: "confirmed", "already" (confirmed before), "expired" or "gone".

    An offer past its deadline is treated as ``tick`` would: expired, and passed on. "gone":
    there is no offer (declined, cancelled, still waiting).
    """
    now = now or utcnow()
    session = lock_registration(registration)
    if registration.status == RegistrationStatus.CONFIRMED:
        return "already"
    if registration.status == RegistrationStatus.EXPIRED:
        return "expired"
    if registration.status != RegistrationStatus.OFFERED:
        return "gone"
    if registration.offer_expires_at is None or registration.offer_expires_at <= now:
        end_registration(registration, RegistrationStatus.EXPIRED, now)
        db.session.flush()
        fill_places(session, now)
        return "expired"
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    db.session.flush()
    left = take_place(registration, now)
    notifications.send(registration, "course_confirmed", with_link=True, calendar=True,
                       left_waiting=left)
    return "confirmed"


@busy_on_lock_timeout
def decline_offer(registration: Registration, now: datetime | None = None) -> bool:
    """Refuse an offered place: it goes to the next person waiting at once."""
    now = now or utcnow()
    session = lock_registration(registration)
    if registration.status != RegistrationStatus.OFFERED:
        return False
    end_registration(registration, RegistrationStatus.DECLINED, now)
    db.session.flush()
    fill_places(session, now)
    return True
