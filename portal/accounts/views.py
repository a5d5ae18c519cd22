"""Log-in, log-out and password reset for staff."""
from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from portal.accounts import services
from portal.accounts.forms import CodeForm, LoginForm, NewPasswordForm, ResetRequestForm
from portal.accounts.models import StaffUser
from portal.extensions import LIMITS, csrf, db, limiter, login_manager
from portal.i18n import _, _l
from portal.notify.services import external_url, queue_email

bp = Blueprint("accounts", __name__, url_prefix="/<lang:lang>/manage")

# CSRF is checked by the form itself, so that a stale token re-renders the form with
# what was typed and a message, instead of a bare 400 page.
#: Between the password and the authenticator code: who, since when, where to go next.
PENDING_KEY = "second_factor"
PENDING_SECONDS = 300

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Log in to reach the staff workspace.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str | None:
    r"""Only a path of this site: never an open redirect to another host.

    Browsers drop tabs and line breaks from a URL ("/\t/evil.example" is "//evil.example"), so
    a target with any control character is refused too.
    """
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and target.isprintable()):
        return target
    return None


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(LIMITS["login"], methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    """The staff log-in."""
    if current_user.is_authenticated:
        return redirect(url_for("manage.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        db.session.commit()  # failed attempts count even when the log-in fails
        if user is not None:
            target = _safe_next(request.args.get("next"))
            session.clear()  # a new session at log-in: nothing fixed before it survives
            if user.needs_second_factor:
                session[PENDING_KEY] = {"id": user.id, "at": int(time.time()), "next": target}
                return redirect(url_for("accounts.second_factor"), code=303)
            return _complete_login(user, target)
        form.password.errors = [_("The e-mail address or the password is not right. After five failed attempts, the account is locked for 15 minutes.")]
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


def _complete_login(user: StaffUser, target: str | None) -> Response:
    services.record_login(user)
    db.session.commit()
    login_user(user)
    return redirect(target or url_for("manage.index"), code=303)


@bp.route("/login/code", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(LIMITS["login"], methods=["POST"])
def second_factor() -> Response | str | tuple[str, int]:
    """The authenticator code of coordinators and administrators (set up at first log-in)."""
    pending = session.get(PENDING_KEY) or {}
    user = db.session.get(StaffUser, pending.get("id", 0)) if pending else None
    if user is None or not user.active or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        session.pop(PENDING_KEY, None)
        flash(_("Log in again: the code was not given in time."), "error")
        return redirect(url_for("accounts.login"), code=303)
    enrolling = user.totp_secret is None
    if enrolling and "secret" not in pending:
        pending["secret"] = services.new_totp_secret()
        session[PENDING_KEY] = pending
    form = CodeForm()
    if form.validate_on_submit():
        if services.check_totp(user, form.code.data, pending.get("secret") if enrolling else None):
            session.pop(PENDING_KEY, None)
            return _complete_login(user, pending.get("next"))
        db.session.commit()
        form.code.errors = [_("This code is not right. Give the code your app shows now.")]
    status = 422 if request.method == "POST" else 200
    secret = pending.get("secret") if enrolling else None
    return render_template("accounts/code.html", form=form, secret=secret,
                           uri=services.totp_uri(user, secret) if secret else None), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End the staff session."""
    logout_user()
    session.clear()
    flash(_("You have been logged out."), "success")
    return redirect(url_for("accounts.login"), code=303)


@bp.route("/password/reset", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(LIMITS["password_reset"], methods=["POST"])
def reset_request() -> Response | str | tuple[str, int]:
    """Ask for a reset link; the answer is the same whether the account exists or not."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        started = services.start_password_reset(form.email.data)
        if started is not None:
            user, secret = started
            queue_email(user.email, "password_reset", user.language, user=user,
                        reset_url=external_url("accounts.reset_password", token=secret,
                                               lang=user.language))
        db.session.commit()
        flash(_("If an account exists for this address, we have sent it a link to choose a new password. The link works once, for one hour."), "success")
        return redirect(url_for("accounts.login"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset_request.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@csrf.exempt
def reset_password(token: str) -> Response | str | tuple[str, int]:
    """Choose a new password with a reset link."""
    if services.valid_reset(token) is None:
        return render_template("accounts/reset_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.finish_password_reset(token, form.password.data)
        db.session.commit()
        flash(_("Your password has been changed. You can log in with it now."), "success")
        return redirect(url_for("accounts.login"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset_password.html", form=form, token=token), status
