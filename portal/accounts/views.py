"""Log-in, log-out and password reset for staff."""
from __future__ import annotations

import time

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from portal.accounts import qr, services, sessions
from portal.accounts.forms import CodeForm, LoginForm, NewPasswordForm, ResetRequestForm
from portal.accounts.models import StaffUser
from portal.extensions import LIMITS, csrf, db, limiter, login_manager
from portal.i18n import _, _l, ngettext

bp = Blueprint("accounts", __name__, url_prefix="/<lang:lang>/manage")

# CSRF is checked by the form itself, so that a stale token re-renders the form with
# what was typed and a message, instead of a bare 400 page.
#: Between the password and the authenticator code: who, since when, where to go next.
PENDING_KEY = "second_factor"
PENDING_SECONDS = 300

login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Log in to reach the staff workspace.")
login_manager.login_message_category = "info"


#: Codes of the second step per account, from any number of addresses (besides the per-address
#: log-in limit): guessing a code from many addresses gets no further than from one.
SECOND_FACTOR_LIMIT = "10 per 15 minutes;40 per day"


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    return sessions.request_user(user_id)


def _pending_account() -> str:
    """The rate-limit key of the second step: the account waiting for its code."""
    pending = session.get(PENDING_KEY)
    account = pending.get("id") if isinstance(pending, dict) else None
    return f"second-factor:{account}" if account else f"second-factor:{get_remote_address()}"


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
        form.password.errors = [_("The e-mail address or the password is not right. After five "
                                  "failed attempts, the account is locked for 15 minutes.")]
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/login.html", form=form), status


def _complete_login(user: StaffUser, target: str | None) -> Response:
    services.record_login(user)
    secret = sessions.start(user.id)
    db.session.commit()
    login_user(user)
    session[sessions.COOKIE_KEY] = secret
    return redirect(target or url_for("manage.index"), code=303)


@bp.route("/login/code", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(LIMITS["login"], methods=["POST"])
@limiter.limit(SECOND_FACTOR_LIMIT, key_func=_pending_account, methods=["POST"])
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
        try:
            accepted = services.check_totp(user, form.code.data, pending.get("secret"))
        except services.AccountLocked:
            session.pop(PENDING_KEY, None)
            flash(_("After five failed attempts in a row, the account is locked for 15 minutes. "
                    "Try again later."), "error")
            return redirect(url_for("accounts.login"), code=303)
        if accepted:
            session.pop(PENDING_KEY, None)
            return _complete_login(user, pending.get("next"))
        db.session.commit()  # a wrong code counts towards the lock
        form.code.errors = [_("This code is not right. Give the code your app shows now.")]
    status = 422 if request.method == "POST" else 200
    secret = pending.get("secret") if enrolling else None
    uri = services.totp_uri(user, secret) if secret else None
    return render_template("accounts/code.html", form=form, secret=secret, uri=uri,
                           qr_code=qr.svg_data_uri(uri) if uri else None), status


@bp.post("/logout")
@login_required
def logout() -> Response:
    """End the staff session on the server: a copy of its cookie opens nothing afterwards."""
    sessions.end(session.get(sessions.COOKIE_KEY))
    db.session.commit()
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
        services.request_password_reset(form.email.data)  # the e-mail worker looks it up
        db.session.commit()
        flash(_("If an account exists for this address, we have sent it a link to choose a new "
                "password. The link works once, for one hour."), "success")
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
        if services.finish_password_reset(token, form.password.data) is None:
            return render_template("accounts/reset_invalid.html"), 404  # used at the same moment
        db.session.commit()
        flash(_("Your password has been changed. You can log in with it now."), "success")
        return redirect(url_for("accounts.login"), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/reset_password.html", form=form, token=token), status


@bp.get("/sessions")
@login_required
def my_sessions() -> str:
    """Where this account is logged in, with a button to end every session but this one."""
    return render_template("accounts/sessions.html", sessions=sessions.open_sessions(current_user.id),
                           current=sessions.current_id())


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions() -> Response:
    """Log out every other browser of this account (a lost phone, a shared computer)."""
    ended = sessions.end_sessions(current_user.id, keep=sessions.current_id())
    db.session.commit()
    flash(ngettext("You have been logged out of %(num)d other browser.",
                   "You have been logged out of %(num)d other browsers.", ended), "success")
    return redirect(url_for("accounts.my_sessions"), code=303)
