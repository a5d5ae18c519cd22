"""What registrants are told, and when: every course message leaves through ``send``."""
from __future__ import annotations

from typing import Any

from portal import geo
from portal.courses.ics import session_calendar
from portal.courses.links import new_link
from portal.courses.models import Registration
from portal.notify.services import Attachment, external_url, queue_email


def send(registration: Registration, template: str, *, token: str | None = None,
         with_link: bool = False, calendar: bool = False, **context: Any) -> None:
    """Queue a message to the registrant, in their language, with their own private link."""
    if registration.email is None:  # erased
        return
    if token is None and with_link:
        token = new_link(registration)
    session = registration.session
    lang = registration.language
    links: dict[str, str] = {}
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
