"""Course types, sessions with their dates, and the people who sign up for them."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import NamedPerLanguage, per_language, utcnow
from portal.extensions import Model
from portal.i18n import _l, language_title

if TYPE_CHECKING:
    from portal.territory.models import Municipality

class CourseType(NamedPerLanguage, Model):
    """A kind of first-aid course (reference data, names stored per language)."""

    __tablename__ = "course_type"

    #: Stable code ("driving-licence", "basic-first-aid", "cpr-aed"); never renamed.
    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)
    #: Approximate total length, for residents choosing a course.
    hours: Mapped[int] = mapped_column(default=0)


class SessionStatus:
    """What is stored in ``CourseSession.status``.

    "Full" is not stored: it is derived from the registrations (see ``services.availability``),
    so that it can never disagree with them.
    """

    OPEN = "open"
    CANCELLED = "cancelled"
    #: Set by ``tick`` once the last date has ended.
    FINISHED = "finished"

    ALL = (OPEN, CANCELLED, FINISHED)


@per_language(notes=lambda: mapped_column(Text, nullable=False, default=""))
class PracticalNotesPerLanguage:
    """Practical notes in each language: what to bring, how to get in (``localized(s, "notes")``)."""


class AttestationRule:
    """What ``CourseSession.attestation_rule`` stores: which attestation a multi-day session gives."""

    #: Only someone present on every day gets one (the default).
    ALL_DAYS = "all_days"
    #: Someone present on at least one day gets one listing only the days attended.
    DAYS_ATTENDED = "days_attended"

    ALL = (ALL_DAYS, DAYS_ATTENDED)


class CourseSession(PracticalNotesPerLanguage, Model):
    """One course given on one or more dates, at one venue, in one language, for a few people."""

    __tablename__ = "course_session"
    __table_args__ = (
        # The residents' list: open sessions, soonest first.
        Index("ix_course_session_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_type_code: Mapped[str] = mapped_column(ForeignKey("course_type.code"))
    #: The language of instruction: "fr", "nl" or "en".
    language: Mapped[str] = mapped_column(String(2))
    venue_name: Mapped[str] = mapped_column(String(200))
    #: Street, number, postal code and place, on one line as people write it.
    address: Mapped[str] = mapped_column(String(300))
    municipality_nis: Mapped[str] = mapped_column(ForeignKey("municipality.nis"), index=True)
    #: Places: confirmed and offered registrations never exceed it.
    capacity: Mapped[int]
    #: The organiser who runs it and alone (with administrators) manages it; NULL: administrators
    #: only (the account was deleted, or an administrator has not handed it to anyone yet).
    organiser_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=SessionStatus.OPEN)
    #: Start of the first date and end of the last one, kept equal to ``dates`` by the services:
    #: lists, reminders and erasure query these without joining the dates.
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    cancelled_at: Mapped[datetime | None]
    #: One of ``AttestationRule``: chosen by the organiser.
    attestation_rule: Mapped[str] = mapped_column(String(20), default=AttestationRule.ALL_DAYS,
                                                  server_default=AttestationRule.ALL_DAYS)
    #: When the registrants' personal data was erased (``COURSE_RETENTION_DAYS`` after the end).
    erased_at: Mapped[datetime | None]
    #: Raised by database triggers in the transaction of every change to the session, its dates
    #: or the status of one of its registrations; never written by the application. The
    #: residents' list is cached per process while these do not change (``listing.list_version``).
    list_version: Mapped[int] = mapped_column(default=0, server_default="0")

    course_type: Mapped[CourseType] = relationship(lazy="joined")
    municipality: Mapped[Municipality] = relationship(lazy="joined")
    dates: Mapped[list[CourseSessionDate]] = relationship(
        back_populates="session", order_by="CourseSessionDate.starts_at",
        cascade="all, delete-orphan")
    registrations: Mapped[list[Registration]] = relationship(
        back_populates="session", order_by="Registration.id")

    @property
    def language_title(self) -> str:
        return language_title(self.language)


class CourseSessionDate(Model):
    """One day (or part of a day) of a session; multi-day courses have several."""

    __tablename__ = "course_session_date"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_session.id", ondelete="CASCADE"),
                                            index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    session: Mapped[CourseSession] = relationship(back_populates="dates")


class RegistrationStatus:
    """What is stored in ``Registration.status``."""

    WAITING = "waiting"
    #: A place was freed and offered; it is held until ``offer_expires_at``.
    OFFERED = "offered"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"  # by the registrant
    DECLINED = "declined"  # the registrant declined an offer
    EXPIRED = "expired"  # an offer was not answered in time
    SESSION_CANCELLED = "session_cancelled"  # the organiser cancelled the session
    #: Left the waiting list because the person took a place in another session of the course.
    PLACE_ELSEWHERE = "place_elsewhere"

    #: Holding a place: counted against the capacity.
    HOLDING = (OFFERED, CONFIRMED)
    ACTIVE = (WAITING, OFFERED, CONFIRMED)


REGISTRATION_STATUS_TITLES = {
    RegistrationStatus.WAITING: _l("On the waiting list"),
    RegistrationStatus.OFFERED: _l("A place is offered to you"),
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.CANCELLED: _l("Cancelled"),
    RegistrationStatus.DECLINED: _l("You declined the place"),
    RegistrationStatus.EXPIRED: _l("The offer has expired"),
    RegistrationStatus.SESSION_CANCELLED: _l("The session has been cancelled"),
    RegistrationStatus.PLACE_ELSEWHERE: _l("You took a place in another session of this course"),
}


class Purpose:
    """Why the person takes the course (kept after erasure, for the figures)."""

    DRIVING_LICENCE = "driving-licence"
    GENERAL = "general"

    ALL = (DRIVING_LICENCE, GENERAL)


PURPOSE_TITLES = {
    Purpose.DRIVING_LICENCE: _l("For my driving licence"),
    Purpose.GENERAL: _l("To know what to do in an emergency"),
}


class Registration(Model):
    """A person's place (or place in the queue) in a session.

    Personal fields are emptied by ``tick`` after the retention period; the row stays, so
    counts and attendance figures stay true.
    """

    __tablename__ = "course_registration"
    __table_args__ = (
        # Counting places and finding the first person waiting, under the session's lock.
        Index("ix_course_registration_session_status", "session_id", "status"),
        Index("ix_course_registration_status_offer_expires", "status", "offer_expires_at"),
    )

    #: The waiting list is served in ``id`` order: ids are drawn under the session's lock,
    #: so they follow the order in which sign-ups got their turn.
    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("course_session.id"))
    #: One of ``RegistrationStatus``.
    status: Mapped[str] = mapped_column(String(20))
    name: Mapped[str | None] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(20))
    #: The language of the page used to sign up: every message uses it.
    language: Mapped[str] = mapped_column(String(2))
    #: SHA-256 of course type and e-mail while the registration is active, else NULL: the unique
    #: constraint allows one active booking per e-mail per course type, on every database.
    active_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    #: Random key of the form: a double click or a reloaded POST finds this row.
    submission_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    offered_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]
    #: When the reminder of the day before was queued (never twice).
    reminded_at: Mapped[datetime | None]
    #: When it stopped being active (cancelled, declined, expired, session cancelled).
    ended_at: Mapped[datetime | None]
    #: When a new link was last sent after a second sign-up attempt (limits such e-mails).
    link_sent_at: Mapped[datetime | None]
    #: Summary of the per-day ``Attendance`` rows, kept by ``organising.check_in``: True present
    #: on at least one day, False recorded absent on every day recorded, None not recorded.
    attended: Mapped[bool | None]
    checked_in_at: Mapped[datetime | None]
    #: Why an organiser moved this person from the waiting list ahead of the queue.
    promotion_reason: Mapped[str | None] = mapped_column(Text)
    erased_at: Mapped[datetime | None]

    session: Mapped[CourseSession] = relationship(back_populates="registrations")
    links: Mapped[list[BookingLink]] = relationship(
        back_populates="registration", cascade="all, delete-orphan")
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="registration", cascade="all, delete-orphan")

    @property
    def is_active(self) -> bool:
        return self.status in RegistrationStatus.ACTIVE

    @property
    def status_title(self) -> str:
        return str(REGISTRATION_STATUS_TITLES[self.status])

    @property
    def purpose_title(self) -> str:
        return str(PURPOSE_TITLES.get(self.purpose, self.purpose))


class BookingLink(Model):
    """A private link to a booking: each message carries its own; only the hash is stored.

    Several per booking, because the secret is never stored and so cannot be sent twice: a
    message that needs a link (reminder, offer, a second sign-up attempt) makes a new one, and
    the older links keep working.
    """

    __tablename__ = "course_booking_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("course_registration.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the secret (192 random bits) in the link.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="links")


class Attendance(Model):
    """Present or absent on one day of a session, as the organiser recorded it at check-in."""

    __tablename__ = "course_attendance"
    __table_args__ = (UniqueConstraint("registration_id", "session_date_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(
        ForeignKey("course_registration.id", ondelete="CASCADE"), index=True)
    session_date_id: Mapped[int] = mapped_column(
        ForeignKey("course_session_date.id", ondelete="CASCADE"), index=True)
    attended: Mapped[bool]
    checked_in_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="attendance")
    session_date: Mapped[CourseSessionDate] = relationship()
