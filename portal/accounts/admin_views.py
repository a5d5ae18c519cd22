"""The administrators' pages of staff accounts (``/<lang>/manage/admin/``); those of categories
and contact addresses are ``reports.admin_views``. Thin: the rules live in the services."""
from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from portal import geo
from portal.accounts import services
from portal.accounts.forms import MunicipalitiesForm, UserCreateForm
from portal.accounts.models import StaffUser
from portal.errors import render_error
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.i18n import _, current_language

bp = Blueprint("admin", __name__, url_prefix="/<lang:lang>/manage/admin")


@login_required
def admins_only() -> None:
    """Every page of the administration needs a logged-in administrator; anyone else gets 403."""
    services.require_admin(current_user)


bp.before_request(admins_only)


@bp.errorhandler(services.NotAdmin)
def _not_admin(_error: services.NotAdmin) -> tuple[str, int]:
    return render_error(403)


def form_status() -> int:
    """A form sent back with errors is 422; the same page on GET is 200."""
    return 422 if request.method == "POST" else 200


@bp.app_template_global()
def admin_municipality_name(nis: str) -> str:
    return geo.municipality(nis).name(current_language())


def _show_account_error(error: services.AccountError, form: UserCreateForm | MunicipalitiesForm) -> None:
    """An account rule the form broke, at its field, in the language of the request."""
    db.session.rollback()
    if error.code == "no_municipality":
        form.municipalities.errors.append(_("Choose at least one municipality for municipal staff."))
    elif error.code == "unknown_municipality":
        form.municipalities.errors.append(_("Choose municipalities of the list."))
    elif isinstance(form, UserCreateForm) and error.code == "email_taken":
        form.email.errors.append(_("This e-mail address already has an account."))
    else:  # rules the form's own checks already keep (a role of the list, a long password)
        field = form.email if isinstance(form, UserCreateForm) else form.municipalities
        field.errors.append(_("The account could not be created. Check the form."))


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
        try:
            user, _secret = services.invite_user(
                form.email.data, form.name.data, form.role.data,
                municipalities=form.municipalities.data or [], language=form.language.data)
        except services.AccountError as error:
            _show_account_error(error, form)
        else:
            db.session.commit()
            flash(_("The account of %(name)s has been created. We have sent %(email)s a link to "
                    "choose a password; it works for one hour.",
                    name=user.name, email=user.email), "success")
            return redirect(url_for(".users"), code=303)
    return render_template("admin/user_new.html", form=form), form_status()


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
        try:
            services.set_municipalities(found, form.municipalities.data or [])
        except services.AccountError as error:
            _show_account_error(error, form)
        else:
            db.session.commit()
            flash(_("The municipalities have been saved."), "success")
            return redirect(url_for(".user", user_id=found.id), code=303)
    return render_template("admin/user.html", user=found, form=form, confirm=ConfirmForm()), form_status()


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
