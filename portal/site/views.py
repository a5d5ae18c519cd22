"""The pages every visitor sees first: the language choice, home, privacy and accessibility."""
from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from portal.i18n import negotiate
from portal.pagecache import same_for_everyone

bp = Blueprint("site", __name__, url_prefix="/<lang:lang>")
root = Blueprint("root", __name__)


@root.get("/")
def choose_language() -> Response:
    """Send a visitor to the home page in their remembered or preferred language."""
    response = redirect(url_for("site.home", lang=negotiate(request)), code=302)
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


@bp.get("/")
@same_for_everyone
def home() -> str:
    """Two large actions and the way to follow a report already made."""
    return render_template("site/home.html")


@bp.get("/privacy")
@same_for_everyone
def privacy() -> str:
    """What the portal keeps about people, who sees it, and for how long."""
    config = current_app.config
    return render_template("site/privacy.html",
                           report_months=config["REPORT_RETENTION_MONTHS"],
                           course_days=config["COURSE_RETENTION_DAYS"],
                           contact_email=config["CONTACT_EMAIL"])


@bp.get("/accessibility")
@same_for_everyone
def accessibility() -> str:
    """The accessibility statement required of a public-sector website."""
    return render_template("site/accessibility.html",
                           contact_email=current_app.config["CONTACT_EMAIL"])
