"""The Open311 GeoReport v2 endpoints under ``/open311/v2/``, each as ``.json`` and ``.xml``.

Thin, as the residents' views are: reading and writing Open311 is ``serializers``' job, the work
is ``services``' and the portal's own ``submit_report``. Every answer, errors included, is an
Open311 document in the format the URL's suffix asks for (none: JSON); never an HTML page.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, g, request
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from portal import i18n
from portal.config import DEFAULT_LANGUAGE, LANGUAGES, base_url
from portal.db import writes_on_get
from portal.extensions import db, limiter
from portal.i18n import _
from portal.reports import uploads
from portal.reports.photos import MAX_PHOTOS, PhotoError
from portal.reports.services import InvalidReport, NeedsMunicipality, OutsideRegion, submit_report

from . import errors, openapi, serializers, services
from .models import ApiKey, Scope
from .serializers import ApiError, render

bp = Blueprint("open311", __name__, url_prefix="/open311")
V2 = "/v2"
#: Each partner key (else each address) may file this many requests; settable per deployment.
DEFAULT_RATE_LIMIT = "60 per minute"
_SUFFIXES = (("", "json"), (".json", "json"), (".xml", "xml"))


def _resource(rule: str, methods: list[str]) -> Any:
    """Register a view at ``rule``, ``rule.json`` and ``rule.xml``, passing the format.

    One endpoint per suffix: Werkzeug redirects a URL to its endpoint's other rule when both
    give the same defaults, and a partner's POST must not meet a redirect.
    """
    def register(view: Any) -> Any:
        for suffix, fmt in _SUFFIXES:
            bp.add_url_rule(V2 + rule + suffix, endpoint=view.__name__ + suffix.replace(".", "_"),
                            view_func=view, methods=methods, defaults={"fmt": fmt})
        return view
    return register


def _split(name: str) -> tuple[str, str]:
    """``"BX-7KQ2-M9XD.xml"`` → (``"BX-7KQ2-M9XD"``, ``"xml"``); no known suffix: JSON."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix in ("json", "xml"):
        return stem, suffix
    return name, "json"


def _language() -> str:
    return i18n.current_language()


@bp.before_request
def _prepare() -> None:
    """The language of the answer, and this server's jurisdiction, before anything else."""
    asked = serializers.locale(request.args)
    i18n.set_language(asked or request.accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE)
    serializers.check_jurisdiction(request.args)
    if request.method == "POST":
        # Read only now: a body that is too large is refused in the language already chosen.
        if asked is None and serializers.locale(request.form):
            i18n.set_language(serializers.locale(request.form) or DEFAULT_LANGUAGE)
        serializers.check_jurisdiction(request.form)


def _key() -> ApiKey | None:
    """The active key the request names; none named: None; named but unknown or revoked: 403."""
    if "open311_key" not in g:
        form = request.form if request.method == "POST" else None
        raw = serializers.api_key(request.args, form)
        key = services.authenticate(raw)
        g.open311_key = (raw, key)
    raw, key = g.open311_key
    if raw and key is None:
        raise ApiError(403, [serializers.key_invalid()])
    return key


def _rate_limit() -> str:
    return str(current_app.config.get("OPEN311_RATE_LIMIT", DEFAULT_RATE_LIMIT))


def _rate_key() -> str:
    """Each key has its own budget (by its hash); requests without a valid key share their address's."""
    try:
        key = _key()
    except ApiError:
        key = None
    return f"open311-key:{key.key_hash}" if key is not None else get_remote_address()


# Endpoints ------------------------------------------------------------------------------------

@_resource("/discovery", ["GET"])
def discovery(fmt: str) -> Response:
    """Where the API is, what it speaks, whom to ask for a key."""
    base = base_url() + bp.url_prefix + V2  # type: ignore[operator]
    return render("discovery", serializers.discovery(base, current_app.config["CONTACT_EMAIL"]), fmt)


@_resource("/services", ["GET"])
def service_list(fmt: str) -> Response:
    """The categories a report can have, in the language asked for."""
    return render("services", serializers.service_list(services.services(), _language()), fmt)


@bp.get(V2 + "/services/<name>")
def service_definition(name: str) -> Response:
    """A category's questions, as Open311 attributes."""
    code, fmt = _split(name)
    category = services.service(code)
    if category is None:
        raise ApiError(404, [serializers.unknown_service(code)])
    return render("service_definition", serializers.service_definition(category), fmt)


@_resource("/requests", ["GET", "POST"])
@writes_on_get  # the key's last use
@limiter.shared_limit(_rate_limit, "open311-submit", key_func=_rate_key, methods=["POST"])
def requests_collection(fmt: str) -> Response:
    """GET: requests in the public (or the key's) view. POST: file a report."""
    if request.method == "POST":
        return _create(fmt)
    key = _key()
    query = serializers.request_filter(request.args)
    items = serializers.request_list(services.find_reports(query),
                                     services.readable_municipalities(key), _language())
    db.session.commit()  # the key's last use
    return render("service_requests", items, fmt)


def _create(fmt: str) -> Response:
    """The web form's path for a partner's report: same checks, routing, storage and e-mails."""
    key = _key()
    if key is None:
        raise ApiError(403, [serializers.key_missing()])
    if not key.allows(Scope.SUBMIT):
        raise ApiError(403, [serializers.key_cannot_submit()])
    lang = _language()
    found, media, problems = serializers.submission(request.form, request.files, request.headers,
                                                    key, lang)
    if services.service(found.category_code) is None:
        raise ApiError(404, [serializers.unknown_service(found.category_code)])
    if len(media) > MAX_PHOTOS:
        problems["photos"] = _("Add at most %(max)s photos.", max=MAX_PHOTOS)
    if problems:
        raise ApiError(400, serializers.field_problems(problems))
    # The key's last use is kept, and photos are re-encoded without holding the database (on
    # SQLite a transaction holds the write lock: see portal.db.end_reading).
    db.session.commit()
    with uploads.PendingPhotos() as photos:  # discarded on any way out but a new report
        try:
            photos.accept_all(media)
        except PhotoError as error:
            problem = uploads.photo_error_message(error)
            raise ApiError(400, serializers.media_problem(problem)) from None
        found.photos = photos.photos
        try:
            submitted = submit_report(found)
        except InvalidReport as invalid:
            raise ApiError(400, serializers.field_problems(invalid.errors)) from None
        except (NeedsMunicipality, OutsideRegion) as unsettled:
            raise ApiError(400, [serializers.routing_problem(unsettled.routing, lang)]) from None
        db.session.commit()
        if submitted.created:  # the same Idempotency-Key again: the first report stands
            photos.hold()
    report = submitted.report
    return render("service_requests", serializers.created(report, services.notice(report, lang)),
                  fmt)


@bp.get(V2 + "/requests/<name>")
@writes_on_get  # the key's last use
def request_one(name: str) -> Response:
    """One request, as a list of one (the spec's shape)."""
    reference, fmt = _split(name)
    key = _key()
    report = services.find_report(serializers.reference(reference))
    if report is None:
        raise ApiError(404, [serializers.unknown_request(reference)])
    items = serializers.request_list([report], services.readable_municipalities(key), _language())
    db.session.commit()
    return render("service_requests", items, fmt)


@bp.get(V2 + "/tokens/<name>")
def token(name: str) -> Response:
    """Every POST answers with the id at once, so no token is ever pending: always 404."""
    raise ApiError(404, [serializers.unknown_token()])


@bp.get(V2 + "/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3 description of this API (the service codes are today's)."""
    return render("openapi", openapi.document(), "json")


_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@bp.route("/", defaults={"rest": ""}, methods=_METHODS)
@bp.route("/<path:rest>", methods=_METHODS)
def unknown(rest: str) -> Response:
    """Any other address under /open311/: an Open311 404, or 405 where another method exists."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in ("GET", "POST"):
        try:
            endpoint, _values = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != request.endpoint:
            allowed.append(method)
    if allowed:
        raise ApiError(405, [_("The method %(method)s is not allowed here. Allowed: %(allowed)s.",
                               method=request.method, allowed=", ".join(allowed))],
                       {"Allow": ", ".join([*allowed, "HEAD", "OPTIONS"])})
    raise ApiError(404, [serializers.unknown_address(base_url() + bp.url_prefix + V2)])  # type: ignore[operator]


# Errors: Open311 error lists, in the format of the URL, whatever happened (see ``errors``) ------

bp.register_error_handler(ApiError, errors.api_error)
bp.register_error_handler(HTTPException, errors.http_error)
bp.register_error_handler(DBAPIError, errors.database_error)
bp.register_error_handler(Exception, errors.unexpected)
