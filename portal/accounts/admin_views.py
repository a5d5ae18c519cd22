"""The administrators' pages (``/<lang>/manage/admin/``): staff accounts, categories, and the
municipalities' contact addresses. Thin: the rules live in the services."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from portal import geo
from portal.accounts import services
from portal.accounts.forms import (CategoryForm, ConfirmForm, ContactForm,
                                   MunicipalitiesForm, UserCreateForm)
from portal.accounts.models import Role, StaffUser
from portal.extensions import db
from portal.i18n import _, current_language, localized
from portal.notify.services import external_url, queue_email
from portal.reports import services as report_services
from portal.reports.models import Category

bp = Blueprint("admin", __name__, url_prefix="/<lang:lang>/manage/admin")


@bp.before_request
@login_required
def _admins_only() -> None:
    """Every page here needs a logged-in administrator; anyone else gets 403."""
    services.require_admin(current_user)


def _status() -> int:
    return 422 if request.method == "POST" else 200


@bp.app_template_global()
def admin_municipality_name(nis: str) -> str:
    return geo.municipality(nis).name(current_language())


@bp.get("/")
def index() -> str:
    """The three parts of the administration."""
    return render_template("admin/index.html")


# Staff accounts ------------------------------------------------------------------------------

@bp.get("/users")
def users() -> str:
    """Every staff account: name, e-mail, role, municipalities, active."""
    return render_template("admin/users.html", users=services.list_users(), form=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Any:
    """Create an account; the new colleague chooses a password with the link of a welcome e-mail."""
    form = UserCreateForm()
    if form.validate_on_submit():
        if services.find_user(form.email.data) is not None:
            form.email.errors.append(_("This e-mail address already has an account."))
        elif form.role.data == Role.STAFF and not form.municipalities.data:
            form.municipalities.errors.append(_("Choose at least one municipality for municipal staff."))
        else:
            try:
                user, secret = services.invite_user(
                    form.email.data, form.name.data, form.role.data,
                    municipalities=form.municipalities.data or [], language=form.language.data)
            except services.AccountError:
                db.session.rollback()
                form.email.errors.append(_("The account could not be created. Check the form."))
            else:
                queue_email(user.email, "staff_welcome", user.language, user=user,
                            municipalities=sorted(m.name(user.language) for m in user.municipalities),
                            reset_url=external_url("accounts.reset_password", token=secret,
                                                   lang=user.language),
                            request_url=external_url("accounts.reset_request", lang=user.language))
                db.session.commit()
                flash(_("The account of %(name)s has been created. We have sent %(email)s a link to choose a password; it works for one hour.",
                        name=user.name, email=user.email), "success")
                return redirect(url_for(".users"), code=303)
    return render_template("admin/user_new.html", form=form), _status()


def _user_or_404(user_id: int) -> StaffUser:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user(user_id: int) -> Any:
    """One account: change its municipalities, disable or enable it."""
    found = _user_or_404(user_id)
    form = MunicipalitiesForm()
    if request.method == "GET":
        form.municipalities.data = sorted(found.municipality_codes)
    elif form.validate_on_submit():
        codes = form.municipalities.data or []
        if found.role == Role.STAFF and not codes:
            form.municipalities.errors.append(_("Choose at least one municipality for municipal staff."))
        else:
            try:
                services.set_municipalities(found, codes)
            except services.AccountError:
                db.session.rollback()
                form.municipalities.errors.append(_("Choose municipalities of the list."))
            else:
                db.session.commit()
                flash(_("The municipalities have been saved."), "success")
                return redirect(url_for(".user", user_id=found.id), code=303)
    return render_template("admin/user.html", user=found, form=form, confirm=ConfirmForm()), _status()


@bp.post("/users/<int:user_id>/<any(enable,disable):action>")
def set_active(user_id: int, action: str) -> Any:
    """Disable an account (it can no longer log in) or enable it again."""
    found = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
    elif found.id == current_user.id and action == "disable":
        flash(_("You cannot disable your own account."), "error")
    else:
        services.set_active(found.email, action == "enable")
        db.session.commit()
        flash(_("The account of %(name)s has been enabled.", name=found.name) if action == "enable"
              else _("The account of %(name)s has been disabled.", name=found.name), "success")
    return redirect(url_for(".user", user_id=found.id), code=303)


# Categories ----------------------------------------------------------------------------------

@bp.get("/categories")
def categories() -> str:
    """Every category, with its deadlines; inactive ones are marked."""
    return render_template("admin/categories.html", categories=report_services.all_categories())


@bp.route("/categories/<code>", methods=["GET", "POST"])
def category(code: str) -> Any:
    """Edit a category's names and descriptions in three languages, its deadlines, whether it is offered."""
    found = db.session.get(Category, code)
    if found is None:
        abort(404)
    form = CategoryForm(obj=found)
    if form.validate_on_submit():
        report_services.update_category(found, **form.values())
        db.session.commit()
        flash(_("The category has been saved."), "success")
        return redirect(url_for(".categories"), code=303)
    return render_template("admin/category.html", category=found, form=form), _status()


# Municipal contact addresses -----------------------------------------------------------------

def _contact_form() -> ContactForm:
    form = ContactForm()
    lang = current_language()
    form.municipality.choices = [SelectChoice("", _("Choose a municipality"))] + [
        SelectChoice(m.nis, m.name(lang)) for m in geo.municipalities()]
    form.category.choices = [SelectChoice("", _("All categories"))] + [
        SelectChoice(c.code, localized(c, "name")) for c in report_services.all_categories()]
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
                report_services.add_contact(form.municipality.data, form.category.data or None,
                                            form.email.data, form.language.data)
            except report_services.ContactError:
                db.session.rollback()
                form.email.errors.append(_("This address is already there for this municipality and category."))
            else:
                db.session.commit()
                flash(_("The address has been added."), "success")
                return redirect(url_for(".contacts"), code=303)
    rows = report_services.list_contacts()
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.municipality_nis, []).append(row)
    category_names = {c.code: localized(c, "name") for c in report_services.all_categories()}
    return render_template("admin/contacts.html", form=form, grouped=grouped, confirm=ConfirmForm(),
                           municipalities=geo.municipalities(), category_names=category_names), _status()


@bp.post("/contacts/<int:contact_id>/remove")
def remove_contact(contact_id: int) -> Any:
    """Stop telling this address of new reports."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Try again."), "error")
    elif report_services.remove_contact(contact_id):
        db.session.commit()
        flash(_("The address has been removed."), "success")
    else:
        abort(404)
    return redirect(url_for(".contacts"), code=303)
