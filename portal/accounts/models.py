"""Staff accounts: municipal staff, regional coordinators, course organisers, administrators."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import utcnow
from portal.extensions import Model, db
from portal.i18n import _l
from portal.territory.models import Municipality


class Role:
    STAFF = "staff"
    COORDINATOR = "coordinator"
    ORGANISER = "organiser"
    ADMIN = "admin"
    ALL = (STAFF, COORDINATOR, ORGANISER, ADMIN)


ROLE_TITLES = {
    Role.STAFF: _l("Municipal staff"),
    Role.COORDINATOR: _l("Regional coordinator"),
    Role.ORGANISER: _l("Course organiser"),
    Role.ADMIN: _l("Administrator"),
}

staff_municipality = Table(
    "staff_municipality", db.metadata,
    Column("user_id", ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_nis", ForeignKey("municipality.nis"), primary_key=True),
)


class StaffUser(UserMixin, Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Stored in lower case: log-in and reset look it up case-insensitively.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: A scrypt hash (werkzeug), never the password.
    password_hash: Mapped[str] = mapped_column(String(255))
    #: The language of the workspace's e-mails to this person.
    language: Mapped[str] = mapped_column(String(2), default="fr")
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    #: Failed log-ins in a row; at ``LOCK_AFTER`` the account is locked for a while.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    #: Base32 secret of the authenticator app (TOTP); required for coordinators and admins.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    #: The last 30-second step whose code was accepted: a code works once.
    totp_last_step: Mapped[int | None]

    municipalities: Mapped[list[Municipality]] = relationship(
        secondary=staff_municipality, order_by="Municipality.nis")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses disabled accounts
        return self.active

    @property
    def municipality_codes(self) -> frozenset[str]:
        return frozenset(m.nis for m in self.municipalities)

    @property
    def sees_whole_region(self) -> bool:
        return self.role == Role.COORDINATOR

    @property
    def handles_reports(self) -> bool:
        return self.role in (Role.STAFF, Role.COORDINATOR)

    @property
    def needs_second_factor(self) -> bool:
        """Coordinators and administrators see the whole Region or hold the keys: TOTP."""
        return self.role in (Role.COORDINATOR, Role.ADMIN)

    @property
    def role_title(self) -> str:
        return str(ROLE_TITLES[self.role])


class PasswordReset(Model):
    """A password-reset link: it expires and works once."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the secret in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[StaffUser] = relationship()


class StaffSession(Model):
    """A log-in, kept on the server so that it can end: log-out, password reset, disable."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the random secret the session cookie holds: a copy of the table opens nothing.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The last request of this session, written at most once a minute: the idle limit reads it.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the session ends (log-out, "end my other sessions", password reset, disable).
    ended_at: Mapped[datetime | None]


class PasswordResetRequest(Model):
    """An address someone asked a reset link for, until the e-mail worker handles it.

    The request only stores the address, whatever it is: whether an account exists is looked
    up later, by the worker, so the answer takes as long for a known address as for another.
    """

    __tablename__ = "password_reset_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: As typed (normalised by the worker); erased once handled.
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The request that asked, passed on to the e-mail so that logs tie the two together.
    request_id: Mapped[str | None] = mapped_column(String(64))
