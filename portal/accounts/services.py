"""Staff accounts: creation, log-in, password reset. Views and the CLI call these."""
from __future__ import annotations

import secrets
from datetime import timedelta

import pyotp
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from portal.accounts.models import PasswordReset, Role, StaffUser
from portal.db import utcnow
from portal.extensions import db
from portal.territory.models import Municipality
from portal.tokens import hash_secret

MIN_PASSWORD_LENGTH = 12
RESET_VALIDITY = timedelta(hours=1)
#: Failed log-ins in a row before the account is locked, and for how long.
LOCK_AFTER = 5
LOCK_FOR = timedelta(minutes=15)
#: Checked against when the e-mail is unknown, so that a log-in takes as long either way.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


class AccountError(ValueError):
    """A request the account rules refuse; the message is for the operator or the form."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> StaffUser | None:
    return db.session.scalar(select(StaffUser).where(StaffUser.email == normalise_email(email)))


def hash_password(password: str) -> str:
    """scrypt, werkzeug's memory-hard default; tests may lower its cost (PASSWORD_HASH_METHOD)."""
    from flask import current_app

    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(email: str, name: str, role: str, password: str, *,
                municipalities: list[str] | tuple[str, ...] = (), language: str = "fr") -> StaffUser:
    """Add a staff account. Municipal staff need at least one municipality; others none."""
    if role not in Role.ALL:
        raise AccountError(f"unknown role {role!r}")
    if find_user(email) is not None:
        raise AccountError(f"{email} already has an account")
    check_password_rules(password)
    places = [db.session.get(Municipality, nis) for nis in municipalities]
    if any(place is None for place in places):
        raise AccountError("unknown municipality NIS code")
    if role == Role.STAFF and not places:
        raise AccountError("municipal staff need at least one --municipality")
    user = StaffUser(email=normalise_email(email), name=name.strip() or email, role=role,
                     password_hash=hash_password(password), language=language,
                     municipalities=places)  # type: ignore[arg-type]
    db.session.add(user)
    db.session.flush()
    return user


def set_active(email: str, active: bool) -> StaffUser:
    user = find_user(email)
    if user is None:
        raise AccountError(f"no account for {email}")
    user.active = active
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active, unlocked user with this e-mail and password, else None.

    The same work is done whether the account exists or not. Five failures in a row lock the
    account for 15 minutes, even against the right password: guessing gets nowhere.
    """
    user = find_user(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    now = utcnow()
    right = check_password_hash(user.password_hash, password)
    if user.locked_until is not None and user.locked_until > now:
        return None
    if not right or not user.active:
        user.failed_logins += 1
        if user.failed_logins >= LOCK_AFTER:
            user.locked_until = now + LOCK_FOR
            user.failed_logins = 0
        db.session.flush()
        return None
    user.failed_logins = 0
    user.locked_until = None
    return user


def record_login(user: StaffUser) -> None:
    user.last_login_at = utcnow()
    db.session.flush()


# Second factor (TOTP) -----------------------------------------------------------------------

def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: StaffUser, secret: str) -> str:
    """The otpauth:// address an authenticator app reads (typed or as a link)."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Brussels prevention portal")


def check_totp(user: StaffUser, code: str, secret: str | None = None) -> bool:
    """A 6-digit code of the current 30-second step (one step of clock drift allowed), once."""
    secret = secret or user.totp_secret
    # ASCII digits only: isdigit() also takes "²" and "１", which compare_digest refuses (TypeError).
    code = "".join(ch for ch in (code or "") if ch in "0123456789")
    if not secret or len(code) != 6:
        return False
    totp = pyotp.TOTP(secret)
    now = utcnow()
    step = totp.timecode(now)
    for drift in (0, -1, 1):
        candidate = step + drift
        if secrets.compare_digest(totp.generate_otp(candidate), code):
            if user.totp_last_step is not None and candidate <= user.totp_last_step:
                return False  # a replayed code
            user.totp_last_step = candidate
            if user.totp_secret != secret:
                user.totp_secret = secret
            db.session.flush()
            return True
    return False


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


def valid_reset(secret: str) -> PasswordReset | None:
    """The reset of this link if it has not expired and has not been used."""
    if not secret or len(secret) > 100:
        return None
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.token_hash == hash_secret(secret)))
    if reset is None or reset.used_at is not None or reset.expires_at < utcnow():
        return None
    return reset


def finish_password_reset(secret: str, password: str) -> StaffUser | None:
    """Set the new password and spend the link (and every other open link of the account)."""
    reset = valid_reset(secret)
    if reset is None:
        return None
    check_password_rules(password)
    now = utcnow()
    reset.user.password_hash = hash_password(password)
    for other in db.session.scalars(select(PasswordReset).where(
            PasswordReset.user_id == reset.user_id, PasswordReset.used_at.is_(None))):
        other.used_at = now
    db.session.flush()
    return reset.user


# Administration ------------------------------------------------------------------------------

def is_admin(user: object) -> bool:
    """Whether this (possibly anonymous) user is a logged-in, active administrator."""
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "active", False)
                and getattr(user, "role", None) == Role.ADMIN)


def require_admin(user: object) -> None:
    """Refuse (403) anyone but an administrator: every page of the administration calls this."""
    from werkzeug.exceptions import Forbidden

    if not is_admin(user):
        raise Forbidden()


def list_users() -> list[StaffUser]:
    """Every staff account, active ones first, by name."""
    return list(db.session.scalars(select(StaffUser).order_by(StaffUser.active.desc(),
                                                              StaffUser.name, StaffUser.id)))


def invite_user(email: str, name: str, role: str, *, municipalities: list[str] | tuple[str, ...] = (),
                language: str = "fr") -> tuple[StaffUser, str]:
    """Create an account nobody knows the password of, and a reset secret to choose one.

    The administrator never sees nor chooses the password: the new colleague sets it with
    the link of the welcome e-mail (the caller queues it in the same transaction).
    """
    user = create_user(email, name, role, secrets.token_urlsafe(32),
                       municipalities=municipalities, language=language)
    started = start_password_reset(user.email)
    assert started is not None  # a new account is active
    return started


def set_municipalities(user: StaffUser, codes: list[str] | tuple[str, ...]) -> StaffUser:
    """Replace the municipalities of an account; municipal staff keep at least one."""
    places = [db.session.get(Municipality, nis) for nis in codes]
    if any(place is None for place in places):
        raise AccountError("unknown municipality NIS code")
    if user.role == Role.STAFF and not places:
        raise AccountError("municipal staff need at least one municipality")
    user.municipalities = places  # type: ignore[assignment]
    db.session.flush()
    return user
