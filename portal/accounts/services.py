"""Staff accounts: creation, log-in, password reset. Views and the CLI call these."""
from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta

import pyotp
from flask import current_app
from sqlalchemy import ColumnElement, and_, case, literal, or_, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts import notifications
from portal.accounts.models import PasswordReset, PasswordResetRequest, Role, StaffUser
from portal.accounts.sessions import end_sessions
from portal.db import utcnow
from portal.extensions import db
from portal.requestlog import current_request_id
from portal.territory.models import Municipality
from portal.tokens import hash_secret

MIN_PASSWORD_LENGTH = 12
RESET_VALIDITY = timedelta(hours=1)
#: Failed log-ins in a row before the account is locked, and for how long.
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)


@functools.cache
def _dummy_hash(method: str) -> str:
    """Checked against when the e-mail is unknown, so that a log-in takes as long either way.

    Made on first use, with the method real passwords use: hashing at import cost every process
    (the web server, the worker, each command) a scrypt before doing anything.
    """
    return generate_password_hash("not a password of anyone", method=method)


class AccountError(ValueError):
    """A request the account rules refuse: ``code`` names the rule, ``values`` its particulars.

    No text: the command line words it for operators, the administrators' pages in the
    language of the request.
    """

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code, values)
        self.code = code
        self.values = values


class AccountLocked(AccountError):
    """Five failures in a row: the account refuses every log-in for a while."""

    def __init__(self) -> None:
        super().__init__("locked")


class NotAdmin(Exception):
    """Someone but an active administrator asked for the administration (403 on every page)."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


def hash_password(password: str) -> str:
    """scrypt, werkzeug's memory-hard default; tests may lower its cost (PASSWORD_HASH_METHOD)."""
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("short_password", minimum=MIN_PASSWORD_LENGTH)


def create_user(email: str, name: str, role: str, password: str, *,
                municipalities: list[str] | tuple[str, ...] = (), language: str = "fr") -> StaffUser:
    """Add a staff account. Municipal staff need at least one municipality; others none."""
    if role not in Role.ALL:
        raise AccountError("unknown_role", role=role)
    if find_user(email) is not None:
        raise AccountError("email_taken", email=email)
    check_password_rules(password)
    places = _municipalities(role, municipalities)
    user = StaffUser(email=normalise_email(email), name=name.strip() or email, role=role,
                     password_hash=hash_password(password), language=language,
                     municipalities=places)
    db.session.add(user)
    db.session.flush()
    return user


def _municipalities(role: str, codes: list[str] | tuple[str, ...]) -> list[Municipality]:
    """The municipalities of these NIS codes; municipal staff need at least one."""
    places = [db.session.get(Municipality, nis) for nis in codes]
    if any(place is None for place in places):
        raise AccountError("unknown_municipality")
    if role == Role.STAFF and not places:
        raise AccountError("no_municipality")
    return places  # type: ignore[return-value]


def set_active(email: str, active: bool) -> StaffUser:
    """Enable or disable an account; disabling ends every session it has open."""
    user = find_user(email)
    if user is None:
        raise AccountError("no_account", email=email)
    user.active = active
    if not active:
        end_sessions(user.id)
    db.session.flush()
    return user


def _unlocked(now: datetime) -> ColumnElement[bool]:
    return or_(StaffUser.locked_until.is_(None), StaffUser.locked_until <= now)


def is_locked(user: StaffUser, now: datetime) -> bool:
    return user.locked_until is not None and user.locked_until > now


def _count_failure(user_id: int, now: datetime) -> None:
    """One more failure in a row, counted by the database in one statement; the fifth locks.

    Reading the count and writing it back lost increments when attempts came at once (eight
    concurrent wrong passwords left a count of 2): each UPDATE adds one to the value the row
    holds when it runs, and concurrent ones wait for each other's row lock. A failure while the
    account is locked is refused without counting.
    """
    reached = StaffUser.failed_logins + 1 >= LOCK_AFTER
    db.session.execute(
        update(StaffUser).where(StaffUser.id == user_id, _unlocked(now))
        .values(failed_logins=case((reached, 0), else_=StaffUser.failed_logins + 1),
                locked_until=case((reached, literal(now + LOCK_FOR, StaffUser.locked_until.type)),
                                  else_=StaffUser.locked_until))
        .execution_options(synchronize_session=False))


def _clear_failures(user: StaffUser, now: datetime, *conditions: ColumnElement[bool],
                    **values: object) -> bool:
    """Start counting again after a complete log-in, unless a lock has just landed (one statement)."""
    done = db.session.execute(
        update(StaffUser).where(StaffUser.id == user.id, _unlocked(now), *conditions)
        .values(failed_logins=0, locked_until=None, **values)
        .returning(StaffUser.id).execution_options(synchronize_session=False)).first()
    db.session.expire(user)
    return done is not None


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active, unlocked user with this e-mail and password, else None.

    The same work is done whether the account exists or not. Five failures in a row lock the
    account for 15 minutes, even against the right password: guessing gets nowhere. For an
    account with a second factor the count goes on until the code is right too, so that the
    password cannot buy more guesses of the code.
    """
    user = find_user(email)
    if user is None:
        check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)
        return None
    now = utcnow()
    right = check_password_hash(user.password_hash, password)
    if is_locked(user, now):
        return None
    if not right or not user.active:
        _count_failure(user.id, now)
        return None
    if user.needs_second_factor:
        return user
    return user if _clear_failures(user, now) else None


def record_login(user: StaffUser) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


# Second factor (TOTP) -----------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: StaffUser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (typed or as a link)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Brussels prevention portal")


def _matching_step(secret: str | None, code: str, now: datetime) -> int | None:
    """The 30-second step (now, or one step of clock drift) whose code this is, if any."""
    # ASCII digits only: isdigit() also takes "²" and "１", which compare_digest refuses (TypeError).
    code = "".join(ch for ch in (code or "") if ch in "0123456789")
    if not secret or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def check_totp(user: StaffUser, code: str, secret: str | None = None) -> bool:
    """Whether this authenticator code completes the log-in; ``secret`` is the one being enrolled.

    A code works once: the step of a right code is claimed by one conditional UPDATE
    (``totp_last_step < step``), so of several requests with the same code at once exactly one
    wins. A wrong code counts as a failed log-in; a locked account raises ``AccountLocked``
    without the code being looked at.
    """
    now = utcnow()
    if is_locked(user, now):
        raise AccountLocked()
    enrolling = user.totp_secret is None
    secret = secret if enrolling else user.totp_secret
    step = _matching_step(secret, code, now)
    if step is None:
        _count_failure(user.id, now)
        return False
    # A right code that was used already is refused without counting: it is not a guess.
    return _clear_failures(
        user, now, or_(StaffUser.totp_last_step.is_(None), StaffUser.totp_last_step < step),
        StaffUser.totp_secret.is_(None) if enrolling else StaffUser.totp_secret == secret,
        totp_last_step=step, totp_secret=secret)


# Password reset ------------------------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """Note that someone asked for a reset link; the e-mail worker looks the address up.

    The same single INSERT whatever the address: a request for a known address took 6 ms
    longer when the account was looked up, its link made and its e-mail rendered here.
    """
    db.session.add(PasswordResetRequest(email=email[:320], request_id=current_request_id()))
    db.session.flush()


def handle_reset_requests(limit: int = 100) -> int:
    """Turn waiting reset requests into links and e-mails (nothing for unknown or disabled
    addresses) and erase the requests. Commits; the outbox worker calls it before sending."""
    handled = 0
    while True:
        rows = db.session.scalars(
            select(PasswordResetRequest).order_by(PasswordResetRequest.id).limit(limit)
            # PostgreSQL: two workers never take the same request; SQLite: BEGIN IMMEDIATE.
            .with_for_update(skip_locked=True)).all()
        if not rows:
            return handled
        for row in rows:
            started = start_password_reset(row.email)
            if started is not None:
                user, secret = started
                notifications.password_reset(user, secret, request_id=row.request_id)
            db.session.delete(row)
        db.session.commit()
        handled += len(rows)


def start_password_reset(email: str) -> tuple[StaffUser, str] | None:
    """A one-time reset secret for an active account; None for unknown or disabled e-mails."""
    user = find_user(email)
    if user is None or not user.active:
        return None
    secret = secrets.token_urlsafe(24)
    db.session.add(PasswordReset(user_id=user.id, token_hash=hash_secret(secret),
                                 expires_at=utcnow() + RESET_VALIDITY))
    db.session.flush()
    return user, secret


def _reset_hash(secret: str) -> str | None:
    return hash_secret(secret) if secret and len(secret) <= 100 else None


def _open_reset(now: datetime) -> ColumnElement[bool]:
    return and_(PasswordReset.used_at.is_(None), PasswordReset.expires_at > now)


def valid_reset(secret: str) -> PasswordReset | None:
    """The reset of this link if it has not expired and has not been used."""
    token_hash = _reset_hash(secret)
    if token_hash is None:
        return None
    return db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == token_hash,
                                                         _open_reset(utcnow())))


def finish_password_reset(secret: str, password: str) -> StaffUser | None:
    """Set the new password, spend the link (and every other open link of the account), and end
    every session of the account; None if the link is not (or no longer) valid.

    The link is spent by one conditional UPDATE before anything else: of several requests with
    the same link at once, exactly one changes the password.
    """
    check_password_rules(password)
    token_hash = _reset_hash(secret)
    if token_hash is None:
        return None
    now = utcnow()
    user_id = db.session.scalar(
        update(PasswordReset).where(PasswordReset.token_hash == token_hash, _open_reset(now))
        .values(used_at=now).returning(PasswordReset.user_id)
        .execution_options(synchronize_session=False))
    if user_id is None:
        return None
    db.session.execute(update(PasswordReset).where(PasswordReset.user_id == user_id,
                                                   PasswordReset.used_at.is_(None))
                       .values(used_at=now).execution_options(synchronize_session=False))
    user = db.session.get(StaffUser, user_id)
    assert user is not None  # the link's row holds a foreign key to it
    user.password_hash = hash_password(password)
    end_sessions(user.id)
    db.session.flush()
    return user


# Administration ------------------------------------------------------------------------------

def is_admin(user: object) -> bool:
    """Whether this (possibly anonymous) user is a logged-in, active administrator."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "active", False)
                and getattr(user, "role", None) == Role.ADMIN)


def require_admin(user: object) -> None:
    """Refuse anyone but an administrator (``NotAdmin``): every page of the administration calls this."""
    if not is_admin(user):
        raise NotAdmin()


def list_users() -> list[StaffUser]:
    """Every staff account, active ones first, by name."""
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.active.desc(),
                                                              StaffUser.name, StaffUser.id)))


def invite_user(email: str, name: str, role: str, *, municipalities: list[str] | tuple[str, ...] = (),
                language: str = "fr") -> tuple[StaffUser, str]:
    """Create an account nobody knows the password of, and a reset secret to choose one.

    The administrator never sees nor chooses the password: the new colleague sets it with
    the link of the welcome e-mail, queued here in the same transaction.
    """
    user = create_user(email, name, role, secrets.token_urlsafe(32),
                       municipalities=municipalities, language=language)
    started = start_password_reset(user.email)
    assert started is not None  # a new account is active
    notifications.welcome(*started)
    return started


def set_municipalities(user: StaffUser, codes: list[str] | tuple[str, ...]) -> StaffUser:
    """Replace the municipalities of an account; municipal staff keep at least one."""
    user.municipalities = _municipalities(user.role, codes)
    db.session.flush()
    return user
