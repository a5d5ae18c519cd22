"""The pages where coordinators and administrators keep the reply templates
(``/<lang>/manage/replies``). Thin: the rules live in ``reports.replies``."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal.accounts.admin_views import form_status
from portal.errors import render_error
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import _, localized
from portal.reports import admin, replies
from portal.reports.admin_forms import ReplyTemplateForm

bp = Blueprint("reply_templates", __name__, url_prefix="/<lang:lang>/manage/replies")


@bp.before_request
@login_required
def _managers_only() -> None:
    """Logged-in coordinators and administrators only (checked again by each service)."""
    replies.require_manager(current_user)


@bp.errorhandler(replies.NotManager)
def _not_manager(_error: replies.NotManager) -> tuple[str, int]:
    return render_error(403)


def _form(obj: Any = None) -> ReplyTemplateForm:
    form = ReplyTemplateForm(obj=obj)
    form.category.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(c.code, localized(c, "name")) for c in admin.all_categories()]
    if obj is not None and form.category.data is None:
        form.category.data = obj.category_code or ""
    return form


@bp.get("/")
def index() -> str:
    """Every template, by category; each opens for editing."""
    names = {c.code: localized(c, "name") for c in admin.all_categories()}
    return render_template("admin/replies.html", templates=replies.all_templates(current_user),
                           category_names=names, confirm=ConfirmForm())


@bp.route("/new", methods=["GET", "POST"])
@bp.route("/<int:template_id>", methods=["GET", "POST"])
def edit(template_id: int | None = None) -> Any:
    """Write a template in the three languages (all three are required)."""
    found = replies.get(current_user, template_id) if template_id is not None else None
    if template_id is not None and found is None:
        abort(404)
    form = _form(found)
    if form.validate_on_submit():
        replies.save(current_user, found, form.values())
        db.session.commit()
        flash(_("The reply template has been saved."), "success")
        return redirect(url_for(".index"), code=303)
    return render_template("admin/reply.html", form=form, template=found), form_status()


@bp.post("/<int:template_id>/delete")
def delete(template_id: int) -> Any:
    """Delete a template; answers already sent keep their text."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
    elif replies.delete(current_user, template_id):
        db.session.commit()
        flash(_("The reply template has been deleted."), "success")
    else:
        abort(404)
    return redirect(url_for(".index"), code=303)
