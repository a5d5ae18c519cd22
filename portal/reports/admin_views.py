"""The administrators' pages of reports' reference data (``/<lang>/manage/admin/``): categories
and the municipalities' contact addresses. Thin: the rules live in ``reports.admin``."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from wtforms.fields.choices import SelectChoice

from portal import geo
from portal.accounts.admin_views import admins_only, form_status
from portal.accounts.services import NotAdmin
from portal.errors import render_error
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import _, current_language, localized
from portal.reports import admin
from portal.reports.admin_forms import CategoryForm, ContactForm
from portal.reports.models import Category

bp = Blueprint("reports_admin", __name__, url_prefix="/<lang:lang>/manage/admin")
bp.before_request(admins_only)


@bp.errorhandler(NotAdmin)
def _not_admin(_error: NotAdmin) -> tuple[str, int]:
    return render_error(403)


# Categories ----------------------------------------------------------------------------------

@bp.get("/categories")
def categories() -> str:
    """Every category, with its deadlines; inactive ones are marked."""
    return render_template("admin/categories.html", categories=admin.all_categories())


@bp.route("/categories/<code>", methods=["GET", "POST"])
def category(code: str) -> Any:
    """Edit a category's names and descriptions in three languages, its deadlines, whether it is offered."""
    found = db.session.get(Category, code)
    if found is None:
        abort(404)
    form = CategoryForm(obj=found)
    if form.validate_on_submit():
        admin.update_category(found, **form.values())
        db.session.commit()
        flash(_("The category has been saved."), "success")
        return redirect(url_for(".categories"), code=303)
    return render_template("admin/category.html", category=found, form=form), form_status()


# Municipal contact addresses -----------------------------------------------------------------

def _contact_form() -> ContactForm:
    form = ContactForm()
    lang = current_language()
    form.municipality.choices = [SelectChoice("", _("Choose a municipality"))] + [
        SelectChoice(m.nis, m.name(lang)) for m in geo.municipalities()]
    form.category.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(c.code, localized(c, "name")) for c in admin.all_categories()]
    return form


@bp.route("/contacts", methods=["GET", "POST"])
def contacts() -> Any:
    """The addresses told of each new report, per municipality; add one below the list."""
    form = _contact_form()
    if form.validate_on_submit():
        if not form.municipality.data:
            form.municipality.errors.append(_("Choose a municipality."))
        else:
            try:
                admin.add_contact(form.municipality.data, form.category.data or None,
                                  form.email.data, form.language.data)
            except admin.ContactError:
                db.session.rollback()
                form.email.errors.append(_("This address is already there for this municipality and category."))
            else:
                db.session.commit()
                flash(_("The address has been added."), "success")
                return redirect(url_for(".contacts"), code=303)
    rows = admin.list_contacts()
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.municipality_nis, []).append(row)
    category_names = {c.code: localized(c, "name") for c in admin.all_categories()}
    return render_template("admin/contacts.html", form=form, grouped=grouped, confirm=ConfirmForm(),
                           municipalities=geo.municipalities(), category_names=category_names), form_status()


@bp.post("/contacts/<int:contact_id>/remove")
def remove_contact(contact_id: int) -> Any:
    """Stop telling this address of new reports."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
    elif admin.remove_contact(contact_id):
        db.session.commit()
        flash(_("The address has been removed."), "success")
    else:
        abort(404)
    return redirect(url_for(".contacts"), code=303)
