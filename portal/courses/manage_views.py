"""The organisers' workspace for courses (``/<lang>/manage/courses``). Thin: rules in services.

Who may do what is decided in ``organising`` (``require_course_role``, ``session_for``,
``registration_for``): organisers manage their own sessions, administrators all of them.
This blueprint maps the refusals to HTTP: other staff get 403, and another organiser's session
is a 404.
"""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from portal import geo
from portal.accounts.models import Role
from portal.config import LANGUAGES
from portal.courses import attendance, exceptions, listing, organising, places
from portal.courses.forms import (
    MAX_DATES,
    ConfirmForm,
    PromoteForm,
    SessionForm,
)
from portal.courses.models import (
    CourseSession,
    Purpose,
    RegistrationStatus,
    SessionStatus,
)
from portal.db import utcnow
from portal.errors import render_error
from portal.extensions import csrf, db
from portal.i18n import _, _l, current_language, language_titles, localized, ngettext
from portal.times import BRUSSELS

bp = Blueprint("manage_courses", __name__, url_prefix="/<lang:lang>/manage/courses")
#: Ids fit a database integer: a larger number is no session (404), never a database error.
_SESSION = "/<int(max=2147483647):session_id>"
_REGISTRATION = _SESSION + "/registrations/<int(max=2147483647):registration_id>"

#: A session's state as the organiser reads it ("full" is shown from the counts).
SESSION_STATUS_TITLES = {
    SessionStatus.OPEN: _l("Open for sign-ups"),
    SessionStatus.CANCELLED: _l("Cancelled"),
    SessionStatus.FINISHED: _l("Finished"),
}
#: The registrants' own titles speak to them ("A place is offered to you"); these speak about them.
PERSON_STATUS_TITLES = {
    RegistrationStatus.CONFIRMED: _l("Confirmed"),
    RegistrationStatus.OFFERED: _l("Place offered, waiting for the answer"),
    RegistrationStatus.WAITING: _l("On the waiting list"),
}
PURPOSE_SHORT_TITLES = {
    Purpose.DRIVING_LICENCE: _l("Driving licence"),
    Purpose.GENERAL: _l("General (emergencies)"),
}


@bp.before_request
@login_required
def _organisers_only() -> None:
    """Every page needs a logged-in organiser or administrator (others: 403)."""
    organising.require_course_role(current_user)


@bp.errorhandler(exceptions.NotOrganiser)
def _not_organiser(error: exceptions.NotOrganiser) -> tuple[str, int]:
    """Staff who do not organise courses: forbidden (the error page is in their language)."""
    return render_error(403)


@bp.errorhandler(exceptions.NotManaged)
def _not_managed(error: exceptions.NotManaged) -> tuple[str, int]:
    """Someone else's session, or none: not found, so that its existence is not revealed."""
    return render_error(404)


@bp.after_request
def _not_cached(response: Response) -> Response:
    """Names, e-mail addresses and phone numbers: never kept in a (shared) phone's cache."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.app_template_global()
def manages_courses(user: Any) -> bool:
    """For the staff navigation: whether to show the link to the courses."""
    return bool(getattr(user, "is_authenticated", False)) and organising.manages_courses(user)


def _is_admin() -> bool:
    return bool(current_user.role == Role.ADMIN)


# The list ---------------------------------------------------------------------------------------

@bp.get("/")
def index() -> str:
    """The sessions this person manages: upcoming ones first, then past ones."""
    lists = organising.sessions_for(current_user)
    every = lists.upcoming + lists.past
    return render_template("courses/manage/index.html", lists=lists,
                           seats=places.availabilities(every),
                           organisers=organising.organiser_names(every) if _is_admin() else None,
                           status_titles=SESSION_STATUS_TITLES)


# Create and edit --------------------------------------------------------------------------------

def _local(moment: datetime) -> datetime:
    return moment.astimezone(BRUSSELS)


def _session_form(session: CourseSession | None) -> SessionForm:
    """The form, filled from the session on GET, from what was typed on POST."""
    if request.method == "GET" and session is not None:
        form = SessionForm(data={
            "course_type": session.course_type_code, "language": session.language,
            "organiser": str(session.organiser_id or ""), "venue_name": session.venue_name,
            "address": session.address, "municipality": session.municipality_nis,
            "capacity": session.capacity, "attestation_rule": session.attestation_rule,
            **{f"notes_{lang}": getattr(session, f"notes_{lang}") for lang in LANGUAGES},
            "dates": [{"day": _local(d.starts_at).date(), "start": _local(d.starts_at).time(),
                       "end": _local(d.ends_at).time()} for d in session.dates]})
        while len(form.dates) < min(MAX_DATES, len(session.dates) + 1):
            form.dates.append_entry()
    else:
        form = SessionForm()
        if request.method == "GET":
            form.language.data = current_language()
    lang = current_language()
    types = listing.active_course_types()
    form.course_type.choices = [SelectChoice("", _("Choose a course"))] + [
        SelectChoice(t.code, localized(t, "name")) for t in types]
    if session is not None and session.course_type_code not in {t.code for t in types}:
        form.course_type.choices.append(SelectChoice(session.course_type_code,
                                                     localized(session.course_type, "name")))
    form.municipality.choices = [SelectChoice("", _("Choose a municipality"))] + [
        SelectChoice(m.nis, m.name(lang)) for m in sorted(geo.municipalities(), key=lambda m: m.name(lang))]
    if _is_admin():
        people = [(str(o.id), o.name) for o in organising.organisers()]
        if session is not None and session.organiser_id and str(session.organiser_id) not in dict(people):
            names = organising.organiser_names([session])
            people.append((str(session.organiser_id), names.get(session.organiser_id, "?")))
        form.organiser.choices = [SelectChoice("", _("Nobody: administrators only"))] + [
            SelectChoice(value, label) for value, label in people]
    else:
        del form.organiser  # an organiser's sessions are theirs
    return form


def _add_error(field: Field, message: str) -> None:
    if message not in field.errors:
        field.errors = [*field.errors, message]


#: Sessions are planned months ahead, not years.
FURTHEST_DATE = timedelta(days=2 * 366)
#: The longest date that goes past midnight; beyond it, an end before the start is refused.
LONGEST_OVERNIGHT = timedelta(hours=12)


def _typed_dates(form: SessionForm, kept: set[datetime], now: datetime) -> list[tuple[datetime, datetime]] | None:
    """The dates of the filled rows (aware UTC); None when a row is wrong (its fields say why).

    A date in the past is refused unless the session already had it: an organiser editing a
    session under way keeps its first days.
    """
    dates: list[tuple[datetime, datetime]] = []
    good = True
    for index, row in enumerate(form.dates):
        fields = row.form
        if fields.is_empty():
            if index == 0:
                _add_error(fields.day, _("Give the first date of the session."))
                good = False
            continue
        if fields.day.errors or fields.start.errors or fields.end.errors:
            good = False
            continue
        missing = [f for f in (fields.day, fields.start, fields.end) if f.data is None]
        for field in missing:
            _add_error(field, _("Give the day, the start time and the end time."))
        if missing:
            good = False
            continue
        # Far dates are typing mistakes (and year 1 would not even convert to UTC).
        if fields.day.data > (now + FURTHEST_DATE).date():
            _add_error(fields.day, _("Give a date within the next two years."))
            good = False
            continue
        if fields.day.data.year < 2000:
            _add_error(fields.day, _("This date has passed: give a date to come."))
            good = False
            continue
        start = datetime.combine(fields.day.data, fields.start.data, BRUSSELS).astimezone(UTC)
        end = datetime.combine(fields.day.data, fields.end.data, BRUSSELS).astimezone(UTC)
        if end <= start:
            # An evening date may end after midnight (20:00 to 00:30): the end is then the next
            # day. Longer than that, an end before the start is a typing mistake.
            next_day = datetime.combine(fields.day.data + timedelta(days=1), fields.end.data,
                                        BRUSSELS).astimezone(UTC)
            if next_day - start <= LONGEST_OVERNIGHT:
                end = next_day
        if end <= start:
            _add_error(fields.end, _("The end must be after the start."))
            good = False
        elif start <= now and start not in kept:
            _add_error(fields.day, _("This date has passed: give a date to come."))
            good = False
        else:
            dates.append((start, end))
    return dates if good else None


def _show_errors(form: SessionForm, errors: dict[str, str]) -> None:
    """Put the services' messages next to their fields (unless a field already says why)."""
    rows_wrong = any(f.errors for row in form.dates for f in row.form)
    for key, message in errors.items():
        if key == "dates":
            if not rows_wrong:
                _add_error(form.dates[0].form.day, message)
            continue
        field = form._fields.get(key)
        if field is None:
            flash(message, "error")
        elif not field.errors:
            _add_error(field, message)


def _error_list(form: SessionForm) -> list[tuple[str, str, str]]:
    """(field id, label, message) for the summary at the top of the form."""
    found = []
    for field in form:
        if field.name == "csrf_token":
            for _message in field.errors:
                found.append(("", "", _("The form had expired. Check your answers and send it again.")))
        elif field.type == "FieldList":
            for number, row in enumerate(field, start=1):
                for sub in row.form:
                    for message in sub.errors:
                        label = _("Date %(number)s", number=number) + " – " + str(sub.label.text)
                        found.append((sub.id, label, message))
        else:
            for message in field.errors:
                found.append((field.id, str(field.label.text), message))
    return found


def _draft(form: SessionForm, dates: list[tuple[datetime, datetime]], owner: int | None) -> organising.SessionDraft:
    return organising.SessionDraft(
        course_type_code=form.course_type.data or "", language=form.language.data or "",
        venue_name=form.venue_name.data or "", address=form.address.data or "",
        municipality_nis=form.municipality.data or "", capacity=form.capacity.data or 0,
        dates=dates, notes={lang: form[f"notes_{lang}"].data or "" for lang in LANGUAGES},
        organiser_id=owner, attestation_rule=form.attestation_rule.data or "")


def _render_form(form: SessionForm, session: CourseSession | None, status: int = 200,
                 focus: int | None = None) -> tuple[str, int]:
    return render_template("courses/manage/form.html", form=form, session=session,
                           errors=_error_list(form), max_dates=MAX_DATES, focus=focus), status


def _save(session: CourseSession | None) -> Response | tuple[str, int]:
    """Create (``session`` None) or change a session from the posted form."""
    form = _session_form(session)
    if "add_date" in request.form:
        # One more empty row, keeping everything typed; nothing is checked or saved yet.
        if len(form.dates) < MAX_DATES:
            form.dates.append_entry()
        return _render_form(form, session, 200, focus=len(form.dates))
    now = utcnow()
    valid = form.validate()
    dates = _typed_dates(form, {d.starts_at for d in session.dates} if session else set(), now)
    errors: dict[str, str] = {}
    requested = form.organiser.data if "organiser" in form else ""
    try:
        # Not isdigit(): it takes "²", which int() refuses, and any length.
        owner = organising.owner_for(current_user, int(requested) if re.fullmatch(r"[0-9]{1,18}", requested or "")
                                     else None, session)
    except exceptions.Invalid as invalid:
        errors, owner = invalid.errors, None
    draft = _draft(form, dates or [], owner)
    if not valid or dates is None or errors:
        # Every message at once: the portal's rules too, not only the form's.
        _show_errors(form, {**organising.validate_session(draft), **errors})
        db.session.rollback()
        return _render_form(form, session, 422)
    try:
        if session is None:
            saved, offered = organising.create_session(draft), 0
        else:
            changed = organising.update_session(session.id, draft, now)
            saved, offered = changed.session, len(changed.reached)
    except exceptions.Invalid as invalid:
        db.session.rollback()
        _show_errors(form, invalid.errors)
        return _render_form(form, session, 422)
    except exceptions.SessionClosed:
        db.session.rollback()
        flash(_("This session is cancelled or finished: it can no longer be changed."), "error")
        return redirect(url_for(".show", session_id=session.id if session else 0), code=303)
    except exceptions.Busy:
        db.session.rollback()
        flash(_("The session is busy with other changes. Nothing was saved: send the form again."), "error")
        return _render_form(form, session, 503)
    if session is None:
        db.session.commit()
        flash(_("The session has been created: residents can now find it and sign up."), "success")
        return redirect(url_for(".show", session_id=saved.id), code=303)
    db.session.commit()
    flash(_("The changes have been saved."), "success")
    if offered:
        flash(ngettext("%(num)s new place offered by e-mail to the first person on the waiting list.",
                         "%(num)s new places offered by e-mail to the first people on the waiting list.",
                         offered), "success")
    return redirect(url_for(".show", session_id=saved.id), code=303)


@bp.route("/new", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token: a stale one comes back with what was typed
def new() -> Response | str | tuple[str, int]:
    """Create a session: residents can sign up for it at once."""
    if request.method == "POST":
        return _save(None)
    return _render_form(_session_form(None), None)[0]


@bp.route(f"{_SESSION}/edit", methods=["GET", "POST"])
@csrf.exempt  # as ``new``
def edit(session_id: int) -> Response | str | tuple[str, int]:
    """Change a session; fewer places than people holding one is refused, more are offered."""
    session = organising.session_for(current_user, session_id)
    if session.status != SessionStatus.OPEN:
        flash(_("This session is cancelled or finished: it can no longer be changed."), "error")
        return redirect(url_for(".show", session_id=session.id), code=303)
    if request.method == "POST":
        return _save(session)
    return _render_form(_session_form(session), session)[0]


# One session: its lists -------------------------------------------------------------------------

def _render_show(session: CourseSession, acting: dict[int, PromoteForm] | None = None,
                 status: int = 200) -> tuple[str, int]:
    people = organising.participants(session)
    waiting = [r for r in people if r.status == RegistrationStatus.WAITING]
    forms = {r.id: PromoteForm(prefix=f"p{r.id}", formdata=None) for r in waiting}
    forms.update(acting or {})
    names = {r.id: r.name or "—" for r in people}
    # A refused action is said at the top, where the page opens, with a link to its field.
    refused = [(field.id, f"{names.get(rid, '—')} – {field.label.text}", message)
               for rid, form in (acting or {}).items() for field in form for message in field.errors]
    return render_template(
        "courses/manage/show.html", session=session, forms=forms, waiting=waiting, refused=refused,
        attendees=[r for r in people if r.status in RegistrationStatus.HOLDING],
        told=[r for r in people if r.status == RegistrationStatus.SESSION_CANCELLED],
        attestations={r.id for r in people if attendance.may_have_attestation(r)},
        seats=places.availability(session), figures=organising.attendance_figures(session),
        municipality=geo.municipality(session.municipality_nis),
        organiser=organising.organiser_names([session]).get(session.organiser_id or 0),
        status_titles=SESSION_STATUS_TITLES, person_titles=PERSON_STATUS_TITLES,
        purpose_titles=PURPOSE_SHORT_TITLES, language_titles=language_titles()), status


@bp.get(_SESSION)
def show(session_id: int) -> tuple[str, int]:
    """The session, its attendee list and its waiting list, and what can be done."""
    return _render_show(organising.session_for(current_user, session_id))


@bp.post(f"{_REGISTRATION}/promote")
def promote(session_id: int, registration_id: int) -> Response | tuple[str, int]:
    """Move someone from the waiting list ahead of the queue; the reason is required and kept."""
    registration = organising.registration_for(current_user, session_id, registration_id)
    form = PromoteForm(prefix=f"p{registration.id}")
    if not form.validate():
        return _render_show(registration.session, {registration.id: form}, 422)
    name = registration.name or ""
    try:
        organising.promote(registration, form.reason.data or "",
                           allow_over_capacity=bool(form.over_capacity.data))
    except exceptions.Invalid as invalid:
        db.session.rollback()
        for key, message in invalid.errors.items():
            if key == "reason":
                _add_error(form.reason, message)
            else:
                flash(message, "error")
        return _render_show(organising.session_for(current_user, session_id), {registration_id: form}, 422)
    except exceptions.NoPlace:
        db.session.rollback()
        _add_error(form.over_capacity, _("The session is full. Tick this box to take one person "
                                         "more, or first add a place to the session."))
        return _render_show(organising.session_for(current_user, session_id), {registration_id: form}, 409)
    except exceptions.SessionClosed:
        db.session.rollback()
        flash(_("This session is cancelled or finished: it can no longer be changed."), "error")
        return redirect(url_for(".show", session_id=session_id), code=303)
    except exceptions.Busy:
        db.session.rollback()
        flash(_("The session is busy with other changes. Nothing was saved: send the form again."), "error")
        return _render_show(organising.session_for(current_user, session_id), {registration_id: form}, 503)
    db.session.commit()
    flash(_("%(name)s now has a place and has been told by e-mail.", name=name), "success")
    return redirect(url_for(".show", session_id=session_id, _anchor=f"r{registration_id}"), code=303)


@bp.route(f"{_SESSION}/cancel", methods=["GET", "POST"])
def cancel(session_id: int) -> Response | str | tuple[str, int]:
    """Cancel a session after a confirmation; every registrant is told in their own language."""
    session = organising.session_for(current_user, session_id)
    form = ConfirmForm()
    if session.status != SessionStatus.OPEN:
        flash(_("This session is cancelled or finished: it can no longer be changed."), "error")
        return redirect(url_for(".show", session_id=session.id), code=303)
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            told = len(organising.cancel_session(session.id).reached)
        except exceptions.SessionClosed:
            db.session.rollback()
            flash(_("This session is cancelled or finished: it can no longer be changed."), "error")
            return redirect(url_for(".show", session_id=session_id), code=303)
        except exceptions.Busy:
            db.session.rollback()
            flash(_("The session is busy with other changes. Nothing was saved: send the form again."), "error")
            return redirect(url_for(".cancel", session_id=session_id), code=303)
        db.session.commit()
        flash(ngettext("The session has been cancelled. %(num)s person has been told by e-mail, "
                       "in their own language.",
                       "The session has been cancelled. %(num)s people have been told by e-mail, "
                       "each in their own language.", told), "success")
        return redirect(url_for(".show", session_id=session_id), code=303)
    return render_template("courses/manage/cancel.html", session=session, form=form,
                           seats=places.availability(session),
                           municipality=geo.municipality(session.municipality_nis))


# The pages of the day (check-in, lists, attestations) are in ``day_views``, on the same blueprint.
from portal.courses import day_views  # noqa: E402,F401
