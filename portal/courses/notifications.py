"""What registrants are told, and when: every course message leaves through ``send``.

The message is queued with the registration's id and plain values; the loader below rebuilds
the session's facts, the private links and the calendar file when the worker renders it. A
message whose registrant's personal data was erased meanwhile is dropped.
"""
from __future__ import annotations

from sqlalchemy import select

from portal import geo
from portal.courses.ics import session_calendar
from portal.courses.links import new_link
from portal.courses.models import CourseSession, Registration
from portal.extensions import db
from portal.notify.kinds import Context, Gone, Parameters, register
from portal.notify.models import Attachment
from portal.notify.services import external_url, queue

KINDS = ("course_confirmed", "course_waiting", "course_link", "course_offer", "course_reminder",
         "course_session_cancelled")


def send(registration: Registration, kind: str, *, token: str | None = None,
         with_link: bool = False, calendar: bool = False,
         alternatives: list[CourseSession] | None = None, position: int | None = None,
         left_waiting: int = 0) -> None:
    """Queue a message to the registrant, in their language, with their own private link.

    :param calendar: attach the session's ``.ics`` (as it is when the message is sent).
    :param alternatives: other sessions with places, for a cancelled one.
    :param left_waiting: how many waiting lists of the course the registrant left by taking
        this place (said in the confirmation).
    """
    if registration.email is None:  # erased
        return
    if token is None and with_link:
        token = new_link(registration)
    queue(kind, registration.email, registration.language, registration_id=registration.id,
          token=token, calendar=calendar, position=position, left_waiting=left_waiting,
          alternatives=[other.id for other in alternatives or []])


def _load(parameters: Parameters) -> Context:
    registration = db.session.get(Registration, parameters["registration_id"])
    if registration is None or registration.email is None:
        raise Gone(f"registration {parameters['registration_id']}")
    session = registration.session
    token = parameters.get("token")
    links: dict[str, str] = {}
    if token is not None:
        links = {name: external_url(f"courses.{name}", token=token)
                 for name in ("booking", "cancel", "accept", "decline")}
    wanted = parameters.get("alternatives") or []
    found = {other.id: other for other in db.session.scalars(
        select(CourseSession).where(CourseSession.id.in_(wanted)))} if wanted else {}
    return {"registration": registration, "session": session, "links": links,
            "municipality": geo.municipality(session.municipality_nis),
            "list_url": external_url("courses.index"), "position": parameters.get("position"),
            "left_waiting": parameters.get("left_waiting", 0),
            "alternatives": [found[i] for i in wanted if i in found]}


def _calendar(context: Context, parameters: Parameters) -> list[Attachment]:
    if not parameters.get("calendar"):
        return []
    data = session_calendar(context["session"], context["registration"].language,
                            context["links"].get("booking"))
    return [Attachment("course.ics", "text/calendar; charset=utf-8", data)]


for _kind in KINDS:
    register(_kind, attach=_calendar)(_load)
