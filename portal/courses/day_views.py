"""The organiser's pages of the day: check-in per day, the lists (CSV) and the attestations.

Routes of the ``manage_courses`` blueprint (see ``manage_views``, which imports this module).
"""
from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from portal import csvfile
from portal.courses import attendance, documents, exceptions, organising
from portal.courses.forms import CheckInForm
from portal.courses.manage_views import _REGISTRATION, _SESSION, bp
from portal.courses.models import CourseSession, CourseSessionDate, Registration, RegistrationStatus
from portal.db import utcnow
from portal.extensions import db
from portal.i18n import _, language_title, speaking

# On the day: check-in, lists, attestations ------------------------------------------------------

def _session_day(session: CourseSession, raw: str | None) -> CourseSessionDate | None:
    """The session day named by ``raw`` (an id), or None when it names none of them."""
    return next((d for d in session.dates if str(d.id) == (raw or "")), None)


@bp.get(f"{_SESSION}/check-in")
def check_in(session_id: int) -> str:
    """Check-in of one day: a line per confirmed participant with two big buttons (no JavaScript),
    links to the other days, and the table of presence per day."""
    session = organising.session_for(current_user, session_id)
    people = sorted((r for r in session.registrations if r.status == RegistrationStatus.CONFIRMED),
                    key=lambda r: ((r.name or "").casefold(), r.id))
    day = _session_day(session, request.args.get("day")) or attendance.day_for(session)
    grid = attendance.by_day(session)
    marks = [grid.get((r.id, day.id)) for r in people] if day else []
    return render_template("courses/manage/check_in.html", session=session, people=people, day=day,
                           grid=grid, counts={"present": marks.count(True), "absent": marks.count(False)},
                           started=day is not None and day.starts_at - timedelta(hours=1) <= utcnow())


@bp.post(f"{_REGISTRATION}/check-in")
def check_in_one(session_id: int, registration_id: int) -> Response:
    """Record one person present or absent on one day, then back to the same line of the list."""
    registration = organising.registration_for(current_user, session_id, registration_id)
    form = CheckInForm()
    if not form.validate():
        abort(400)
    attended = form.attended.data == "1"
    day = _session_day(registration.session, form.day.data)
    if form.day.data and day is None:
        abort(400)
    try:
        organising.check_in(registration, attended, day=day)
    except exceptions.Invalid as invalid:
        db.session.rollback()
        for message in invalid.errors.values():
            flash(message, "error")
        # Refused: back to the top of the page, where the message is.
        return redirect(url_for(".check_in", session_id=session_id, day=day.id if day else None), code=303)
    else:
        db.session.commit()
        name = registration.name or ""
        flash(_("%(name)s: present.", name=name) if attended else _("%(name)s: absent.", name=name),
              "success")
    return redirect(url_for(".check_in", session_id=session_id, day=day.id if day else None,
                            _anchor=f"r{registration_id}"), code=303)


@bp.get(f"{_SESSION}/participants.csv")
def export(session_id: int) -> Response:
    """The attendee and waiting lists for a spreadsheet: UTF-8 with BOM, formulas defused."""
    session = organising.session_for(current_user, session_id)
    return csvfile.download(documents.participants_csv(session), f"session-{session.id}.csv")


def _duration(dates: list[CourseSessionDate]) -> str:
    minutes = int(sum((d.ends_at - d.starts_at for d in dates), timedelta()).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if minutes:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=f"{minutes:02d}")
    return _("%(hours)s h", hours=hours)


def _attestation_document(registration: Registration, facts: documents.Attestation) -> Markup:
    """One attestation, rendered in the attendee's language."""
    session = registration.session
    organiser = organising.organiser_names([session]).get(session.organiser_id or 0) or current_user.name
    with speaking(registration.language):
        return Markup(render_template("courses/manage/_attestation.html", facts=facts, session=session,
                                      organiser=organiser, duration=_duration(facts.dates),
                                      issued=utcnow()))


@bp.get(f"{_REGISTRATION}/attestation")
def attestation(session_id: int, registration_id: int) -> Response | str:
    """A printable attestation in the attendee's language; only for someone recorded present."""
    registration = organising.registration_for(current_user, session_id, registration_id)
    lang = registration.language
    try:
        facts = documents.attestation(registration, lang)
    except exceptions.Invalid as invalid:
        for message in invalid.errors.values():
            flash(message, "error")
        return redirect(url_for(".show", session_id=session_id), code=303)
    # The document speaks the attendee's language; the workspace around it stays in the organiser's.
    return render_template(
        "courses/manage/attestation.html", document=_attestation_document(registration, facts),
        lang=lang, session=registration.session, registration=registration,
        language_title=language_title(lang))


@bp.get(f"{_SESSION}/attestations")
def attestations(session_id: int) -> str:
    """Every attestation of the session on one page, one per printed sheet, each in its language."""
    session = organising.session_for(current_user, session_id)
    issued = documents.attestations(session)
    return render_template(
        "courses/manage/attestations.html", session=session,
        documents=[(r.language, _attestation_document(r, facts)) for r, facts in issued])
