"""Residents' pages: find a session, sign up, and manage a booking with its private link."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal import geo, pagecache
from portal.config import LANGUAGES
from portal.courses import exceptions, links, listing, places, signup
from portal.courses.forms import ConfirmForm, FilterForm, SignUpForm
from portal.courses.models import CourseSession, Purpose, Registration
from portal.extensions import csrf, db
from portal.i18n import _, current_language, language_titles, localized
from portal.pagecache import same_while
from portal.ratelimits import counted_submission

bp = Blueprint("courses", __name__, url_prefix="/<lang:lang>/courses")


def _municipality_choices() -> list[SelectChoice]:
    lang = current_language()
    places = sorted(geo.municipalities(), key=lambda m: m.name(lang))
    return [SelectChoice("", _("All municipalities"))] + [
        SelectChoice(m.nis, m.name(lang)) for m in places]


@bp.get("/")
@same_while(listing.list_version)
def index() -> str:
    """Upcoming sessions with their places left, filtered by a GET form that needs no JS."""
    form = FilterForm(request.args)
    types = listing.active_course_types()
    form.type.choices = [SelectChoice("", _("All courses"))] + [
        SelectChoice(t.code, localized(t, "name")) for t in types]
    form.municipality.choices = _municipality_choices()
    form.language.choices = [SelectChoice("", _("All languages"))] + [
        SelectChoice(code, title) for code, title in language_titles().items()]
    form.validate()
    known = {"type": {t.code for t in types}, "municipality": {m.nis for m in geo.municipalities()},
             "language": set(LANGUAGES)}
    for name, allowed in known.items():
        if form[name].data and form[name].data not in allowed:
            form[name].errors = [*form[name].errors, _("Choose one of the options.")]
            form[name].data = ""
    filters = listing.Filters(course_type=form.type.data or "",
                              municipality=form.municipality.data or "",
                              language=form.language.data or "",
                              on_or_after=form.date.data)
    sessions = listing.upcoming_sessions(filters)
    filtered = any(request.args.get(name) for name in ("type", "municipality", "language", "date"))
    return render_template("courses/index.html", form=form, sessions=sessions,
                           seats=places.availabilities(sessions), types=types,
                           filtered=filtered)


# A larger number is no session (and no database integer): a 404, never an error.
@bp.route("/<int(max=2147483647):session_id>", methods=["GET", "POST"])
@csrf.exempt  # the sign-up form checks its own token and comes back filled in when it is stale
@counted_submission("course_sign_up")
def show(session_id: int) -> Response | str | tuple[str, int]:
    """The session, and the sign-up form (or the waiting list, or other sessions)."""
    if request.method == "GET" and not pagecache.personal():
        # The same for everyone but the form's token and key: cached while no session changes.
        key = secrets.token_urlsafe(18)
        return pagecache.fill_in(listing.list_version(), {"csrf": generate_csrf(), "key": key},
                                 lambda: _page_for_everyone(session_id, key))
    return _show(session_id, SignUpForm())


def _page_for_everyone(session_id: int, key: str) -> str:
    page = _show(session_id, SignUpForm(), key=key)
    assert isinstance(page, tuple)  # a GET is the page, or a 404
    return page[0]


def _show(session_id: int, form: SignUpForm, key: str = "") -> Response | str | tuple[str, int]:
    closed = False
    if request.method == "POST" and not form.validate():
        # Every mistake at once: the sign-up's own rules as well as the form's.
        for name, message in signup.validate_sign_up(_sign_up(form)).items():
            if name in form and not form[name].errors:
                form[name].errors = [*form[name].errors, message]
    elif request.method == "POST":
        # The sign-up locks the session first: nothing is read before it (SQLite starts its
        # immediate transaction there, PostgreSQL takes the row lock).
        try:
            result = signup.sign_up(session_id, _sign_up(form))
        except LookupError:
            abort(404)
        except exceptions.Invalid as invalid:
            for name, message in invalid.errors.items():
                form[name].errors = [*form[name].errors, message]
        except exceptions.SessionClosed:
            closed = True
        except exceptions.Busy:
            db.session.rollback()
            # Rendered without reading the database: on SQLite it may still be busy.
            return render_template("courses/busy.html", form=form, session_id=session_id), 503
        else:
            db.session.commit()
            if result.outcome == "duplicate":
                # Nothing about the booking itself: whoever typed the address may not own it.
                return render_template("courses/already_booked.html")
            assert result.token is not None
            return redirect(url_for(".booking", token=result.token, new=1), code=303)
    session = listing.get_session(session_id)
    if session is None:
        abort(404)
    if request.method == "GET":
        form.submission_key.data = key or secrets.token_urlsafe(18)
        if session.course_type_code == "driving-licence":
            form.purpose.data = Purpose.DRIVING_LICENCE
    seats = places.availability(session)
    accepting = places.accepts_sign_ups(session)
    others = listing.suggestions(session) if seats.is_full or not accepting else []
    status = 200 if request.method == "GET" else 409 if closed else 422
    return render_template("courses/show.html", session=session, form=form, seats=seats,
                           open=accepting, closed=closed, suggestions=others,
                           suggestion_seats=places.availabilities(others),
                           municipality=geo.municipality(session.municipality_nis)), status


def _sign_up(form: SignUpForm) -> signup.SignUp:
    return signup.SignUp(name=form.name.data or "", email=(form.email.data or "").strip(),
                         phone=form.phone.data or None, purpose=form.purpose.data or "",
                         language=current_language(),
                         # The column holds 64 characters; the page's key has 24.
                         submission_key=(form.submission_key.data or "")[:64] or None)


@bp.get("/<int(max=2147483647):session_id>/calendar.ics")
def calendar(session_id: int) -> Response:
    """The session's dates for a calendar app (no personal data in it)."""
    from portal.courses.ics import session_calendar

    session = listing.get_session(session_id)
    if session is None:
        abort(404)
    response = make_response(session_calendar(session, current_language()))
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="course-{session.id}.ics"'
    return response


# A booking, through its private link ------------------------------------------------------------

def _private(response: Response | str, status: int = 200) -> Response:
    """Pages whose URL is a secret: not cached, not indexed, never sent on as a referrer."""
    response = make_response(response, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _registration(token: str) -> Registration:
    registration = links.find_by_token(token)
    if registration is None:
        abort(404)
    return registration


def _page(template: str, registration: Registration, token: str, status: int = 200,
          **context: Any) -> Response:
    session: CourseSession = registration.session
    return _private(render_template(
        template, registration=registration, session=session, token=token,
        seats=places.availability(session),
        position=places.waiting_position(registration),
        # Cancelling makes sense until the start; after it, the organiser handles absences.
        changeable=registration.is_active and places.accepts_sign_ups(session),
        municipality=geo.municipality(session.municipality_nis),
        form=ConfirmForm(), **context), status)


@bp.get("/booking/<token>")
def booking(token: str) -> Response:
    """Status, place in the queue, the session's details, and what can be done."""
    registration = _registration(token)
    return _page("courses/booking.html", registration, token,
                 new=request.args.get("new") == "1", done=request.args.get("done", ""))


def _confirm_action(token: str, template: str,
                    act: Callable[[Registration], str]) -> Response:
    """GET shows a button (a mail scanner following the link changes nothing); POST acts."""
    registration = _registration(token)
    form = ConfirmForm()
    closed = False
    if request.method == "POST":
        if not form.validate():
            abort(400)
        try:
            outcome = act(registration)
        except exceptions.Busy:
            db.session.rollback()
            return _private(render_template("courses/busy_action.html", form=form,
                                            action_url=request.path), 503)
        except exceptions.SessionClosed:
            db.session.rollback()
            closed = True
            registration = _registration(token)
        else:
            db.session.commit()
            return redirect(url_for(".booking", token=token, done=outcome), code=303)
    return _page(template, registration, token, 409 if closed else 200, closed=closed)


@bp.route("/booking/<token>/cancel", methods=["GET", "POST"])
def cancel(token: str) -> Response:
    """Cancel in one tap, without an account; the place goes to the next person at once."""
    return _confirm_action(token, "courses/cancel.html",
                           lambda r: "cancelled" if signup.cancel_registration(r) else "nothing")


@bp.route("/booking/<token>/accept", methods=["GET", "POST"])
def accept(token: str) -> Response:
    """Take the place offered from the waiting list."""
    return _confirm_action(token, "courses/accept.html", signup.accept_offer)


@bp.route("/booking/<token>/decline", methods=["GET", "POST"])
def decline(token: str) -> Response:
    """Refuse the place offered, so the next person gets it now."""
    return _confirm_action(token, "courses/decline.html",
                           lambda r: "declined" if signup.decline_offer(r) else "nothing")

