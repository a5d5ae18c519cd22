"""The staff workspace for reports (``/<lang>/manage/``). Thin: rules live in ``triage``."""
from __future__ import annotations

import itertools
import re
from datetime import timedelta
from typing import Any

from babel import dates as babel_dates
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from wtforms.fields.choices import SelectChoice

from portal import csvfile, geo
from portal.accounts.models import Role
from portal.db import utcnow, writes_on_get
from portal.errors import render_error
from portal.extensions import db
from portal.i18n import _, current_language, language_title, localized, ngettext
from portal.reports import (
    access_words,
    batch,
    durations,
    navigation,
    notifications,
    placing,
    privacy,
    replies,
    saved_filters,
    services,
    similar,
    triage,
    uploads,
)
from portal.reports import export as report_export
from portal.reports.deadlines import past_target
from portal.reports.forms import (
    ActionForm,
    AnswerForm,
    AssignForm,
    EraseForm,
    SaveFilterForm,
    SpamForm,
    StatusForm,
    TextActionForm,
    TransferForm,
)
from portal.reports.models import STATUS_TITLES, Report, Status
from portal.times import BRUSSELS

bp = Blueprint("manage", __name__, url_prefix="/<lang:lang>/manage")


@bp.before_request
@login_required
def _staff_only() -> None:
    """Every page of the workspace needs a logged-in staff member."""


@bp.errorhandler(triage.NotStaff)
def _not_staff(error: triage.NotStaff) -> tuple[str, int]:
    """Accounts that do not work on reports: forbidden, in the person's language."""
    return render_error(403)


@bp.errorhandler(triage.NotVisible)
def _not_visible(error: triage.NotVisible) -> tuple[str, int]:
    """Another municipality's report, or none: not found, so that its existence is not revealed."""
    return render_error(404)


@bp.get("/")
def index() -> Any:
    """Each role's starting page."""
    if current_user.handles_reports:
        return redirect(url_for(".reports"))
    if current_user.role == Role.ORGANISER:
        return redirect(url_for("manage_courses.index"))
    return render_template("manage/index.html")


@bp.get("/reports")
def reports() -> Any:
    """The work list: filters, counts per status, keyset pages."""
    return _render_list(SaveFilterForm(formdata=None))


def _render_list(save_form: SaveFilterForm, status: int = 200) -> Any:
    filters = triage.parse_filters(request.args)
    page = triage.work_list(current_user, filters, request.args.get("after", ""))
    return render_template("manage/reports.html", page=page, filters=filters,
                           statuses=STATUS_TITLES, categories=services.active_categories(),
                           municipalities=triage.municipalities_of(current_user),
                           is_overdue=triage.is_overdue, select_all=request.args.get("select") == "all",
                           colleagues=batch.colleagues_for_list(current_user), now=utcnow(),
                           saved_filters=saved_filters.of(current_user), save_form=save_form,
                           saved_arguments=saved_filters.arguments), status


@bp.post("/reports/filters")
def save_filter() -> Any:
    """Save the list's current filters (in the query string) under a name."""
    form = SaveFilterForm()
    if form.validate():
        try:
            saved_filters.save(current_user, form.name.data or "", triage.parse_filters(request.args))
        except triage.ActionError as refused:
            db.session.rollback()
            form.name.errors = [*form.name.errors, str(refused)]
        else:
            db.session.commit()
            flash(_("Filter saved."), "success")
            return redirect(url_for(".reports", **_filter_args()), code=303)
    return _render_list(form, 422)


@bp.post("/reports/filters/<int:filter_id>/delete")
def delete_filter(filter_id: int) -> Any:
    """Delete one of one's own saved filters."""
    if not ActionForm().validate():
        abort(400)
    if not saved_filters.remove(current_user, filter_id):
        abort(404)
    db.session.commit()
    flash(_("Filter deleted."), "success")
    return redirect(url_for(".reports", **_filter_args()), code=303)


@bp.post("/reports/batch")
def batch_action() -> Any:
    """One action on the reports ticked in the list; says how many were done and which not."""
    form = ActionForm()
    back = redirect(url_for(".reports", **_filter_args()), code=303)
    if not form.validate():
        flash(_("The action could not be done: check the form below."), "error")
        return back
    items = batch.parse_items(request.form.getlist("item"))
    if not items:
        flash(_("Tick at least one report first."), "error")
        return back
    assignee = request.form.get("assignee", "")
    try:
        result = batch.apply(current_user, request.form.get("action", ""), items,
                             int(assignee) if re.fullmatch(r"[0-9]{1,9}", assignee) else None)
    except triage.ActionError as refused:
        db.session.rollback()
        flash(str(refused), "error")
        return back
    db.session.commit()
    if result.done:
        flash(ngettext("%(num)s report done.", "%(num)s reports done.", len(result.done)), "success")
    reasons = {batch.Skip.NOT_FOUND: _("not found"),
               batch.Skip.CHANGED: _("changed by a colleague meanwhile"),
               batch.Skip.REFUSED: _("the action does not apply")}
    if result.skipped:
        flash(ngettext("%(num)s report skipped: %(list)s.", "%(num)s reports skipped: %(list)s.",
                       len(result.skipped),
                       list="; ".join(f"{ref} ({reasons[why]})" for ref, why in result.skipped.items())),
              "error")
    return back


def _filter_args() -> dict[str, Any]:
    """The list's filters of this request, to carry into the next address."""
    return dict(triage.parse_filters(request.args).query_args())


@bp.get("/reports/map")
def report_map() -> str:
    """The filtered reports that have a position, on a map and as a list."""
    filters = triage.parse_filters(request.args)
    points = [{"reference": r.reference, "lat": r.latitude, "lon": r.longitude,
               "category": localized(r.category, "name"), "status": status_title(r.status),
               "url": url_for(".report", reference=r.reference)}
              for r in triage.export_rows(current_user, filters, limit=2000) if r.latitude is not None]
    return render_template("manage/map.html", points=points, filters=filters)


@bp.get("/statistics")
def statistics() -> str:
    """Aggregated figures with server-side SVG charts over a chosen period; coordinators also
    compare the municipalities."""
    from portal.reports.comparison import compare
    from portal.reports.periods import PeriodForm
    from portal.reports.statistics import figures

    form = PeriodForm(request.args)
    form.validate()
    now = utcnow()
    period = form.period(now.astimezone(BRUSSELS).date())
    return render_template(
        "manage/statistics.html", form=form, figures=figures(current_user, period),
        comparison=compare(current_user, period, now) if current_user.sees_whole_region else None)


@bp.get("/reports/export.csv")
def export() -> Response:
    """The filtered list as CSV (UTF-8 with BOM), streamed; contact data only for those who may
    see it. The access is logged and committed before the first line leaves."""
    filters = triage.parse_filters(request.args)
    triage.require_report_role(current_user)
    lang = current_language()
    entry = privacy.log_access_aside(current_user, "export",
                                     detail=access_words.export_detail(None, filters.query_args()))
    header: list[object] = list(report_export.header(current_user))
    rows = access_words.counted(report_export.rows(current_user, filters, lang), lambda count: (
        privacy.complete_access_aside(entry, access_words.export_detail(count, filters.query_args()))))
    lines = itertools.chain([header], rows)
    delimiter = report_export.separator(lang, request.args.get("sep", ""))
    return csvfile.stream(stream_with_context(csvfile.chunks(lines, delimiter)), "reports.csv")


def _transfer_targets(report: Report) -> list[SelectChoice]:
    """Every other municipality; for a report to decide, every one, its candidates first."""
    lang = current_language()
    if not report.municipality_to_decide:
        return [SelectChoice(m.nis, m.name(lang))
                for m in geo.municipalities() if m.nis != report.municipality_nis]
    first = placing.candidates_of(report)
    rest = [m for m in geo.municipalities() if m not in first]
    return [SelectChoice(m.nis, m.name(lang)) for m in (*first, *rest)]


def _forms(report: Report, acting: str | None = None) -> dict[str, Any]:
    """The action forms of the report page; only the one being submitted keeps posted data."""
    status_form = StatusForm(prefix="status")
    status_form.status.choices = [SelectChoice(code, str(title)) for code, title in STATUS_TITLES.items()
                                  if code != report.status]
    assign_form = AssignForm(prefix="assign")
    assign_form.assignee.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(user.id), user.name) for user in triage.colleagues(current_user, report)]
    transfer_form = TransferForm(prefix="transfer")
    transfer_form.municipality.choices = _transfer_targets(report)
    forms = {"status": status_form, "assign": assign_form, "transfer": transfer_form,
             "note": TextActionForm(prefix="note"), "answer": AnswerForm(prefix="answer"),
             "acknowledge": ActionForm(prefix="ack"), "spam": SpamForm(prefix="spam"),
             "erase": EraseForm(prefix="erase"), "take": ActionForm(prefix="take"),
             "assign_me": ActionForm(prefix="me")}
    for name, form in forms.items():
        if name != acting:
            form.version.data = str(report.version)
    return forms


@bp.get("/reports/<reference>")
@writes_on_get  # the access log
def report(reference: str) -> str:
    """Every detail of one report, its photos, its place, and its timeline."""
    found = triage.report_for(current_user, reference)
    privacy.log_access(current_user, "report", found)
    db.session.commit()
    return _render_report(found, _forms(found))


@bp.get("/reports/<reference>/print")
@writes_on_get  # the access log
def print_report(reference: str) -> str:
    """For the police: facts, place, photos and the public timeline; no notes, no actions."""
    found = triage.report_for(current_user, reference)
    privacy.log_access(current_user, "print", found)
    db.session.commit()
    return render_template("manage/report_print.html", **_report_facts(found))


def _report_facts(found: Report) -> dict[str, Any]:
    """What the report page and its print view both show."""
    municipality = geo.municipality(found.municipality_nis)
    return {"report": found, "municipality": municipality,
            "police_zone": geo.police_zone(municipality.police_zone),
            "details": services.details_for_display(found),
            "to_decide": placing.candidates_text(found, current_language()),
            "municipality_names": {m.nis: m.name(current_language()) for m in geo.municipalities()}}


def _render_report(found: Report, forms: dict[str, Any], status: int = 200) -> Any:
    filters = triage.parse_filters(request.args)
    return render_template(
        "manage/report.html", **_report_facts(found), forms=forms, filters=filters,
        neighbours=navigation.neighbours(current_user, filters, found),
        reply_templates=replies.for_report(found), similar=similar.candidates(current_user, found),
        overdue=triage.is_overdue(found),
        told=notifications.told(found), readable_kinds=notifications.READABLE,
        with_contact=current_user.role == Role.STAFF), status


def _insert_template(found: Report, forms: dict[str, Any]) -> Any:
    """The answer form again, with the chosen template in the resident's language added to
    what was typed (without JavaScript; the script does the same in place)."""
    form = forms["answer"]
    chosen = request.form.get("template", "")
    inserted = replies.text_for(int(chosen), found) if re.fullmatch(r"[0-9]{1,9}", chosen) else None
    if inserted is None:
        form.text.errors = [_("Choose a reply template.")]
        return _render_report(found, forms, 422)
    typed = (form.text.data or "").rstrip()
    form.text.data = f"{typed}\n\n{inserted}" if typed else inserted
    return _render_report(found, forms)


#: The actions whose form carries typed text, and its field: never lost on a refusal.
_TEXT_FIELDS = {"note": "text", "answer": "text", "transfer": "reason", "erase": "reason"}


@bp.post("/reports/<reference>/<action>")
def act(reference: str, action: str) -> Any:
    """Apply one action; a change made meanwhile by a colleague is shown, never overwritten."""
    found = triage.report_for(current_user, reference)
    # The list's filters and order travel with the report page, for "back" and "next".
    here = url_for(".report", reference=reference, **_filter_args())
    forms = _forms(found, acting=action)
    if action not in forms:
        abort(404)
    form = forms[action]
    if action == "answer" and request.form.get("insert"):
        return _insert_template(found, forms)
    if not form.validate():
        flash(_("The action could not be done: check the form below."), "error")
        return _render_report(found, forms, 422)
    if action == "answer" and not form.any_language.data:
        other = replies.looks_like_another_language(form.text.data or "", found.language)
        if other is not None:
            form.text.errors = [*form.text.errors, _(
                "This text looks like %(other)s, but the resident reads %(expected)s. "
                "Check it, or tick the box below to send it as it is.",
                other=language_title(other), expected=language_title(found.language))]
            return _render_report(found, forms, 422)
    # A note or an answer adds to the timeline and changes nothing a colleague may have
    # changed: two of them never clash, whatever version each page showed.
    version = None if action in ("note", "answer") else form.seen_version()
    try:
        if action == "acknowledge":
            triage.acknowledge(current_user, found, version)
        elif action == "status":
            triage.change_status(current_user, found, version, form.status.data or "",
                                 form.duplicate_of.data or "")
        elif action == "assign":
            triage.assign(current_user, found, version,
                          # Not isdigit(): it takes "²", which int() refuses, and any length.
                          int(form.assignee.data) if re.fullmatch(r"[0-9]{1,18}", form.assignee.data or "")
                          else None)
        elif action == "note":
            triage.add_note(current_user, found, version, form.text.data)
        elif action == "answer":
            triage.answer(current_user, found, version, form.text.data)
        elif action == "transfer":
            triage.transfer(current_user, found, version, form.municipality.data or "", form.reason.data)
        elif action == "spam":
            triage.mark_spam(current_user, found, version, not found.spam)
        elif action == "erase":
            triage.erase(current_user, found, version, form.reason.data)
        elif action == "take":
            batch.take(current_user, found, version)
        elif action == "assign_me":
            batch.assign_to_me(current_user, found, version)
        db.session.commit()
    except (triage.Conflict, StaleDataError):
        db.session.rollback()
        flash(_("A colleague changed this report while you were reading it. Here is its new state: "
                "check it, then do your action again."), "error")
        if action in _TEXT_FIELDS:  # the text typed comes back, with the report as it is now
            fresh = triage.report_for(current_user, reference)
            forms = _forms(fresh, acting=action)
            forms[action].version.data = str(fresh.version)
            return _render_report(fresh, forms, 409)
        return redirect(here, code=303)
    except triage.ActionError as refused:
        db.session.rollback()
        if action in _TEXT_FIELDS:
            field = forms[action][_TEXT_FIELDS[action]]
            field.errors = [*field.errors, str(refused)]
            return _render_report(triage.report_for(current_user, reference), forms, 422)
        flash(str(refused), "error")
        return redirect(here, code=303)
    flash(_("Done."), "success")
    if action == "transfer" and not triage.can_see(current_user, found):
        return redirect(url_for(".reports", **_filter_args()), code=303)
    return redirect(here, code=303)


@bp.get("/reports/<reference>/photos/<int:photo_id>")
@writes_on_get  # the access log
def photo(reference: str, photo_id: int) -> Response:
    """A photo, only for staff allowed to see the report; never cached, never sniffed."""
    found = triage.report_for(current_user, reference)
    match = next((p for p in found.photos if p.id == photo_id), None)
    if match is None:
        abort(404)
    privacy.log_access(current_user, "photo", found, detail=str(photo_id))
    db.session.commit()
    response = uploads.photo_response(match, f"{reference}-{photo_id}.jpg")
    if response is None:
        abort(404)
    return response


@bp.get("/access-log")
def access_log() -> str:
    """Administrators read who was shown which reporter's personal data."""
    if current_user.role != Role.ADMIN:
        abort(403)
    return render_template("manage/access_log.html", entries=privacy.recent_accesses(),
                           describe=access_words.describe)


@bp.app_template_global()
def overdue_by(report: Report) -> str:
    return durations.overdue_by(report, utcnow())


@bp.app_template_global()
def municipality_name(nis: str) -> str:
    return geo.municipality(nis).name(current_language())


@bp.app_template_global()
def duration(hours: float) -> str:
    return durations.duration(hours)


@bp.app_template_filter("duration")
def timedelta_words(value: timedelta) -> str:
    """An age or a delay in words of the current language ("3 jours", "2 uur")."""
    return babel_dates.format_timedelta(value, threshold=1.5, locale=current_language())


bp.add_app_template_global(past_target, "past_target")
bp.add_app_template_global(language_title, "language_title")


@bp.app_template_global()
def status_title(status: str) -> str:
    return str(STATUS_TITLES.get(status, status))


__all__ = ["bp", "Status"]
