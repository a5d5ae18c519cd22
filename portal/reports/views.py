"""Residents' pages: the report flow and following a report. Thin: the work is in services."""
from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal import geo
from portal.extensions import LIMITS, csrf, db, limiter
from portal.i18n import _, _l, current_language
from portal.notify.services import external_url
from portal.pagecache import same_for_everyone
from portal.ratelimits import counted_submission
from portal.reports import following, next_step, placing, police_report, questions, services, uploads
from portal.reports.forms import (
    AddInformationForm,
    DoneForm,
    LostCodeForm,
    PoliceReportForm,
    ReportForm,
    TrackForm,
    report_form,
)
from portal.reports.models import STATUS_TITLES, EventKind, Report, SafeContact
from portal.reports.photos import StoredPhoto

bp = Blueprint("report", __name__, url_prefix="/<lang:lang>/report")
tracking = Blueprint("tracking", __name__, url_prefix="/<lang:lang>/track")



@bp.record_once
def _template_globals(state: Any) -> None:
    state.app.jinja_env.globals["status_titles"] = STATUS_TITLES


# CSRF is checked by the form itself, so that a stale token re-renders the form with
# what was typed and a message, instead of a bare 400 page.

#: How many confirmations and tracked reports one browser session remembers.
SESSION_MEMORY = 5


def _remember(key: str, name: str, value: Any) -> None:
    entries = dict(session.get(key, {}))
    entries[name] = value
    session[key] = dict(list(entries.items())[-SESSION_MEMORY:])


@bp.get("/")
@same_for_everyone
def safety() -> str:
    """First question: is someone in danger, or is it happening now?"""
    return render_template("reports/safety.html")


@bp.get("/emergency")
@same_for_everyone
def emergency() -> str:
    """Only phone numbers: nothing to fill when someone is in danger."""
    return render_template("reports/emergency.html")


@bp.get("/categories")
def categories() -> str:
    """Choose the kind of nuisance."""
    return render_template("reports/categories.html", categories=services.active_categories())


@bp.route("/new/<code>", methods=["GET", "POST"])
@csrf.exempt
@counted_submission("report")
def new(code: str) -> Response | str | tuple[str, int]:
    """What, when, where, photos, contact and consent, on one page for a weak connection."""
    # From the worker's copy: on SQLite the request's write transaction (and lock) begins only
    # when the report is stored, once everything else has passed (services.submit_report).
    known = services.reference()
    category = known.active_category(code)
    if category is None:
        abort(404)
    form = report_form(category.questions)()
    question_set = questions.question_set(category.questions)
    routing: geo.Routing | None = None
    kept_photos: list[StoredPhoto] = []
    if request.method == "GET":
        form.submission_key.data = secrets.token_urlsafe(18)
        form.email_language.data = current_language()
    else:
        form_ok = form.validate()
        if not form_ok:
            # Every mistake at once: the portal's own rules too, not only the form's (a form
            # sent too fast must not hide an empty description until it is sent again).
            _attach_errors(form, services.validate(_draft(form, category.code, []), known))
        files = request.files.getlist(form.photos.name)
        with uploads.PendingPhotos(uploads.kept(form.kept_photos.data,
                                                form.submission_key.data)) as photos:
            # Nothing is decoded for a form that fails its own checks (see portal.reports.uploads).
            photo_errors = photos.accept(files) if form_ok else photos.refuse(files)
            form.photos.errors = list(form.photos.errors) + photo_errors
            if form_ok and not photo_errors:
                try:
                    submitted = services.submit_report(_draft(form, category.code, photos.photos),
                                                       known)
                except services.InvalidReport as invalid:
                    _attach_errors(form, invalid.errors)
                except services.NeedsMunicipality as needs:
                    routing = needs.routing
                except services.OutsideRegion:
                    return render_template("reports/outside.html",
                                           postal_code=form.postal_code.data,
                                           police_on_web=_police_on_web())
                else:
                    reference = submitted.reference
                    db.session.commit()
                    if submitted.created:
                        photos.hold()
                    if submitted.tracking_secret:
                        _remember("reports_done", reference,
                                  [submitted.tracking_secret, submitted.tracking_code])
                    return redirect(url_for(".done", reference=reference), code=303)
            form.kept_photos.data = photos.carry(form.submission_key.data)
            kept_photos = photos.photos
    form.stamp()
    form.chosen_language(current_language())
    choice = _choice_step(form, routing)
    status = 422 if request.method == "POST" and routing is None else 200
    return render_template("reports/form.html", form=form, category=category, routing=routing,
                           choice=choice, destination=_destination(form, routing),
                           destinations=placing.destinations(current_language()),
                           questions=question_set,
                           kept_photos=kept_photos,
                           report_months=current_app.config["REPORT_RETENTION_MONTHS"],
                           today_iso=services.brussels_now().date().isoformat()), status


def _point(form: ReportForm) -> tuple[float, float] | None:
    lat, lon = _float(form.latitude.data), _float(form.longitude.data)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lon, lat


def _choice_step(form: ReportForm, routing: geo.Routing | None) -> placing.ChoiceStep | None:
    """The map and the municipalities to choose from, "I don't know" among them."""
    if routing is None:
        return None
    lang = current_language()
    choice = placing.choice_step(routing, (form.postal_code.data or "").replace(" ", ""),
                                 _point(form))
    # Each answer says where the report will then go ("This report will go to …")
    form.municipality.choices = [SelectChoice(m.nis, placing.destination(m, lang))
                                 for m in choice.candidates]
    if choice.can_defer:
        form.municipality.choices.append(SelectChoice(services.UNDECIDED, _(
            "I don't know: the Region's coordinators will send it to the right municipality")))
    return choice


def _destination(form: ReportForm, routing: geo.Routing | None) -> str | None:
    """"This report will go to …" once the postal code and the position decide it."""
    if routing is not None or request.method != "POST":
        return None
    try:
        decided = geo.route((form.postal_code.data or "").replace(" ", ""), _point(form))
    except ValueError:
        return None
    if decided.municipality is None:
        return None
    return placing.destination(decided.municipality, current_language())


def _draft(form: ReportForm, code: str, photos: list[StoredPhoto]) -> services.Draft:
    safe_contact = form.safe_contact.data if form.sensitive else None
    email = (form.email.data or "").strip() or None
    phone = (form.phone.data or "").strip() or None
    # What the reporter said is not safe is not kept at all, so that nobody can use it.
    if safe_contact == SafeContact.NONE:
        email = phone = None
    elif safe_contact == SafeContact.EMAIL:
        phone = None
    return services.Draft(
        category_code=code, description=form.description.data or "",
        occurred_on=form.occurred_on.data, occurred_at_time=form.occurred_at_time.data,
        street=form.street.data or "", postal_code=(form.postal_code.data or "").replace(" ", ""),
        latitude=_float(form.latitude.data), longitude=_float(form.longitude.data),
        details=form.answers(),
        email=email, phone=phone, safe_contact=safe_contact,
        language=form.chosen_language(current_language()),
        # The column holds 64 characters; the page's key has 24, a longer one was tampered with.
        submission_key=(form.submission_key.data or "")[:64] or None,
        municipality_choice=form.municipality.data or None, photos=photos)


def _float(text: str | None) -> float | None:
    try:
        value = float(text) if text else None
    except ValueError:
        return None
    return value if value is None or value == value else None  # NaN is no position


def _attach_errors(form: Any, errors: dict[str, str]) -> None:
    """Put the service's messages next to their fields (position errors go to the address);
    a field that already says what is wrong keeps its one message."""
    for name, message in errors.items():
        target = {"location": "postal_code", "category": "description"}.get(name, name)
        field = form[target] if target in form else None
        if field is not None and not field.errors:
            field.errors = [*field.errors, message]


@bp.get("/done/<reference>")
def done(reference: str) -> str:
    """The confirmation: reference and tracking code, municipality, what happens next, the
    private link."""
    remembered = session.get("reports_done", {}).get(reference)
    # [secret, code]; a session from before tracking codes holds the secret alone.
    secret, code = remembered if isinstance(remembered, list) else (remembered, None)
    report = services.find_by_reference(reference) if secret else None
    if report is None:
        abort(404)
    place = geo.municipality(report.municipality_nis)
    lang = current_language()
    return render_template("reports/done.html", report=report, municipality=place,
                           police_zone=geo.police_zone(place.police_zone), advice=_advice(report),
                           to_decide=placing.candidates_text(report, lang),
                           tracking_code=services.format_tracking_code(code) if code else None,
                           tracking_url=external_url("tracking.open_link", token=secret))


def _advice(report: Report) -> next_step.Advice | None:
    return next_step.advice_for(report.category_code, report.details, report.municipality_nis,
                                current_language(), current_app.config["POLICE_ON_WEB_URL"])


def _police_on_web() -> str:
    """The online declaration service in this page's language (the setting PORTAL_POLICE_ON_WEB_URL)."""
    return next_step.online_url(current_language(), current_app.config["POLICE_ON_WEB_URL"])


# Following a report -------------------------------------------------------------------------

def _authorise(report: Report) -> None:
    _remember("tracked", report.reference, True)


def _tracked_report(reference: str) -> Report:
    if reference not in session.get("tracked", {}):
        abort(404)
    report = services.find_by_reference(reference)
    if report is None:
        abort(404)
    return report


# Besides each address's budget, each reference has its own, whatever the addresses the
# attempts come from (Flask-Limiter's storage: Redis in production, shared by every worker).
# A reference that cannot exist is refused at its field and counts only for the address.

#: Tracking codes tried on one reference. A code has about 59 bits: this never finds one.
CODE_ATTEMPTS = "10 per hour"
#: "I lost my code" for one reference, and for one e-mail address: no flood of messages.
LINK_REQUESTS = "3 per hour"


def _typed_reference() -> str:
    return services.tracking_reference(request.form.get("reference", ""))


def _typed_email() -> str:
    return request.form.get("email", "").strip().lower()[:320]


def _per_reference() -> str:
    return "reference:" + _typed_reference()


def _per_email() -> str:
    return "email:" + _typed_email()


def _no_reference() -> bool:
    return not _typed_reference()


def _no_email() -> bool:
    return not _typed_email()


@tracking.route("/", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(LIMITS["tracking"], methods=["POST"])
@limiter.limit(CODE_ATTEMPTS, methods=["POST"], key_func=_per_reference, exempt_when=_no_reference)
def find() -> Response | str | tuple[str, int]:
    """Open a report with its reference and tracking code (the same answer for any mismatch)."""
    form = TrackForm()
    if form.validate_on_submit():
        report = services.find_by_reference_and_code(form.reference.data, form.code.data)
        if report is not None:
            _authorise(report)
            return redirect(url_for(".show", reference=report.reference), code=303)
        form.code.errors = [_("No report matches this reference and this tracking code. Check both and try again.")]
    form.stamp()
    status = 422 if request.method == "POST" else 200
    return render_template("reports/track_find.html", form=form), status


@tracking.route("/lost", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(LIMITS["tracking"], methods=["POST"])
@limiter.limit(LINK_REQUESTS, methods=["POST"], key_func=_per_reference, exempt_when=_no_reference)
@limiter.limit(LINK_REQUESTS, methods=["POST"], key_func=_per_email, exempt_when=_no_email)
def lost() -> Response | str | tuple[str, int]:
    """"I lost my code": a link to the report, sent to the address given with it."""
    form = LostCodeForm()
    if form.validate_on_submit():
        services.send_tracking_link(form.reference.data, form.email.data, current_language())
        db.session.commit()
        return redirect(url_for(".lost_sent"), code=303)
    form.stamp()
    status = 422 if request.method == "POST" else 200
    return render_template("reports/track_lost.html", form=form), status


@tracking.get("/lost/sent")
@same_for_everyone
def lost_sent() -> str:
    """The same words whether or not the address was the report's."""
    return render_template("reports/track_lost_sent.html")


@tracking.get("/link/<token>")
@limiter.limit(LIMITS["tracking"])
def open_sent_link(token: str) -> Response:
    """The link sent by "I lost my code"; once it has expired, the way to ask for another."""
    report = services.find_by_sent_link(token)
    if report is None:
        flash(_("This link no longer works. Ask for a new one below."), "error")
        return redirect(url_for(".lost"), code=303)
    _authorise(report)
    return redirect(url_for(".show", reference=report.reference), code=303)


@tracking.get("/<token>")
@limiter.limit(LIMITS["tracking"])
def open_link(token: str) -> Response:
    """The private link of the confirmation and the e-mails."""
    report = services.find_by_secret(token)
    if report is None:
        abort(404)
    _authorise(report)
    return redirect(url_for(".show", reference=report.reference), code=303)


@tracking.route("/report/<reference>", methods=["GET", "POST"])
@csrf.exempt
@counted_submission("report")  # it takes photos, as the report form does
def show(reference: str) -> Response | str | tuple[str, int]:
    """Status, public timeline, and a form to add information."""
    report = _tracked_report(reference)
    form = AddInformationForm()
    if request.method == "POST":
        form_ok = form.validate()
        files = request.files.getlist(form.photos.name)
        # Nothing half-kept: on a refusal the reporter sends the photos again.
        with uploads.PendingPhotos() as photos:
            photo_errors = photos.accept(files) if form_ok else photos.refuse(files)
            form.photos.errors = list(form.photos.errors) + photo_errors
            if form_ok and not photo_errors:
                try:
                    services.add_reporter_information(report, form.text.data or "", photos.photos)
                except services.InvalidReport as invalid:
                    _attach_errors(form, invalid.errors)
                else:
                    db.session.commit()
                    photos.hold()
                    return redirect(url_for(".show", reference=reference, added="info",
                                            _anchor="messages"), code=303)
    form.stamp()
    return _tracking_page(report, form, PoliceReportForm(),
                          422 if request.method == "POST" else 200)


def _tracking_page(report: Report, form: AddInformationForm, police_form: PoliceReportForm,
                   status: int) -> tuple[str, int]:
    return render_template("reports/track_show.html", report=report, form=form,
                           done_form=DoneForm(), police_form=police_form,
                           details=services.details_for_display(report),
                           municipality=geo.municipality(report.municipality_nis),
                           advice=_advice(report),
                           added=request.args.get("added"),
                           ), status


@tracking.post("/report/<reference>/police-report")
@csrf.exempt
@limiter.limit(LIMITS["tracking"])
def add_police_report(reference: str) -> Response | tuple[str, int]:
    """The reporter adds the number of the police report (PV); staff see it."""
    report = _tracked_report(reference)
    police_form = PoliceReportForm()
    if police_form.validate():
        try:
            police_report.add_number(report, police_form.number.data or "")
        except police_report.InvalidNumber as invalid:
            police_form.number.errors = [invalid.message]
        else:
            db.session.commit()
            return redirect(url_for(".show", reference=reference, added="police") + "#police-report",
                            code=303)
    form = AddInformationForm()
    form.stamp()
    return _tracking_page(report, form, police_form, 422)


@tracking.get("/report/<reference>/export.json")
def export(reference: str) -> Response:
    """Everything the portal holds about the report, for its reporter."""
    from portal.reports.privacy import export_for_reporter

    report = _tracked_report(reference)
    response = jsonify(export_for_reporter(report))
    response.headers["Content-Disposition"] = f'attachment; filename="{reference}.json"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@tracking.post("/report/<reference>/erasure")
def request_erasure(reference: str) -> Response:
    """The reporter asks for the erasure of their personal data."""
    from portal.reports.privacy import request_erasure as record_request

    report = _tracked_report(reference)
    if DoneForm().validate() and report.erased_at is None:
        record_request(report)
        db.session.commit()
        flash(_("Your request has been sent to the municipality. It will answer within one month."), "success")
    return redirect(url_for(".show", reference=reference), code=303)


@tracking.post("/report/<reference>/done")
def reporter_done(reference: str) -> Response:
    """The reporter says the problem is solved or no longer needs action: the report closes,
    the page says so and opens at that message."""
    report = _tracked_report(reference)
    form = DoneForm()
    kind = request.form.get("kind", "")
    if form.validate() and kind in following.REPORTER_OUTCOMES:
        if following.reporter_says_done(report, kind) is not None:
            db.session.commit()
            flash(DONE_MESSAGES[kind], "success")
        else:
            flash(_("This report is already closed."), "info")
    return redirect(url_for(".show", reference=reference, _anchor="messages"), code=303)


#: What the reporter is told after saying the problem is over.
DONE_MESSAGES = {
    EventKind.REPORTER_RESOLVED: _l("Thank you. You said the problem is solved: your report is now closed as resolved. "
                                     "The municipality can still open it again if needed."),
    EventKind.REPORTER_NO_LONGER_NEEDED: _l("Thank you. You said your report no longer needs action: it is now closed. "
                                             "The municipality can still open it again if needed."),
}


@tracking.get("/report/<reference>/photos/<int:photo_id>")
def photo(reference: str, photo_id: int) -> Response:
    """One of the report's photos, for whoever opened it with its private link or code."""
    report = _tracked_report(reference)
    match = next((p for p in report.photos if p.id == photo_id), None)
    if match is None or report.erased_at is not None:
        abort(404)
    response = uploads.photo_response(match, f"{reference}-{photo_id}.jpg")
    if response is None:
        abort(404)
    return response
