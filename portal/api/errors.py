"""Open311 error lists, in the format of the URL (``.xml``, else JSON), whatever happened.

The API's blueprint answers its own errors with these; the application's handler calls
``http_error`` for an address under ``/open311/`` that no rule of the API matched.
"""
from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from portal import errors as error_pages
from portal.config import base_url
from portal.i18n import _

from . import serializers
from .serializers import ApiError, render

log = logging.getLogger(__name__)

#: Where the API's version 2 lives; a wrong address is answered with its root.
ROOT = "/open311/v2"
#: Statuses an HTTP error keeps; any other 4xx becomes the spec's catch-all 400.
_KEPT = {403, 404, 405, 413, 429}


def _error_format() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


def open311_error(status: int, descriptions: list[str], headers: dict[str, str] | None = None) -> Response:
    """An Open311 error list with this status, in the format the URL asks for."""
    return render("errors", serializers.errors(status, descriptions), _error_format(), status,
                  headers)


def api_error(error: ApiError) -> Response:
    return open311_error(error.status, error.descriptions, error.headers)


def http_error(error: HTTPException) -> Response:
    """Any HTTP error as Open311 answers it: its status if the spec names it, else 400 or 500."""
    code = error.code or 500
    status = code if code in _KEPT else 400 if code < 500 else 500
    if status == 405:
        allowed = ", ".join(getattr(error, "valid_methods", None) or [])
        description = _("The method %(method)s is not allowed here. Allowed: %(allowed)s.",
                        method=request.method, allowed=allowed)
        return open311_error(405, [description], {"Allow": allowed} if allowed else None)
    if status == 404:
        return open311_error(404, [serializers.unknown_address(base_url() + ROOT)])
    message = error_pages.MESSAGES[status]
    # The explanation where it is for an API client too, the title where it speaks of pages.
    description = str(message[1] if status in (413, 429) else message[0])
    if status == 500:
        log.error("HTTP %s on %s %s", code, request.method, request.path)
    return open311_error(status, [description])


def database_error(error: DBAPIError) -> Response:
    if not error_pages.is_outage(error):  # a statement the database refused: a bug, a 500
        return unexpected(error)
    # The app's handler would answer an HTML page: the API answers its own 503.
    log.error("database unavailable: %s", error)
    return open311_error(503, [str(error_pages.MESSAGES[503][1])])


def unexpected(error: Exception) -> Response:
    log.error("unhandled error on %s %s", request.method, request.path, exc_info=error)
    return open311_error(500, [str(error_pages.MESSAGES[500][1])])
