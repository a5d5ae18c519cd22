"""Error pages in the portal's layout and the visitor's language; never a stack trace."""
from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask, Response, render_template, request
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from portal.i18n import _l
from portal.requestlog import loggable_path

log = logging.getLogger(__name__)

#: status -> (title, explanation). Lazy: they are read in the language of the request.
MESSAGES = {
    400: (_l("The request could not be understood"),
          _l("Something in the request was not valid. Go back, check what you entered and try again.")),
    403: (_l("Access denied"),
          _l("You are not allowed to see this page. If you work for a municipality, log in with your staff account.")),
    404: (_l("Page not found"),
          _l("This page does not exist or is no longer available. Check the address, or start "
             "again from the home page.")),
    405: (_l("This action is not possible here"),
          _l("Go back to the previous page and use the buttons on the page.")),
    413: (_l("The file is too large"),
          _l("What you sent is larger than the portal accepts. Each photo may be at most 10 MB: "
             "choose a smaller photo and try again.")),
    429: (_l("Too many attempts"),
          _l("You have made too many requests in a short time. Wait a few minutes, then try again.")),
    500: (_l("Something went wrong on our side"),
          _l("The error has been recorded. Please try again in a few minutes. If someone is in danger, call 112.")),
    503: (_l("The portal is temporarily unavailable"),
          _l("The service is undergoing maintenance or is overloaded. Please try again in a few "
             "minutes. If someone is in danger, call 112.")),
}


def render_error(status: int) -> tuple[str, int]:
    """The error page for ``status`` (statuses without their own text get the 400 or 500 one)."""
    if status not in MESSAGES:
        status_text = 500 if status >= 500 else 400
    else:
        status_text = status
    title, explanation = MESSAGES[status_text]
    return render_template("errors/error.html", status=status, title=title,
                           explanation=explanation), status


#: Answers an HTTP error in a format of its own (the Open311 API's error lists).
HttpErrorAnswer = Callable[[HTTPException], Response]


def _http_handler(answers: Mapping[str, HttpErrorAnswer]) -> Callable[[HTTPException], Any]:
    def _handle_http(error: HTTPException) -> Response | tuple[str, int] | HTTPException:
        if error.code is None or error.code < 400:
            return error
        # API clients get their errors from the API's own handlers, never an HTML page: those
        # answer whatever matched one of the API's rules; an address none matches (a line break
        # in it: no rule's pattern spans lines) is answered here, in the API's format too.
        for prefix, answer in answers.items():
            if request.path.startswith(prefix):
                return answer(error)
        return render_error(error.code)
    return _handle_http


#: PostgreSQL's SQLSTATE classes of an outage: connection exception (08), insufficient
#: resources (53, e.g. too many connections), operator intervention (57: shutdown, restart,
#: statement timeout).
_OUTAGE_CLASSES = ("08", "53", "57")
#: SQLite's primary result codes of an outage: busy or locked longer than the busy timeout,
#: the file cannot be opened or read, the disk is full.
_SQLITE_OUTAGES = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
                   sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL}


def is_outage(error: DBAPIError) -> bool:
    """Whether a database error means the database cannot be reached (come back later: 503)
    rather than a statement it refused (a bug: 500, logged with its trace). Treating every
    error as an outage told people to wait for something that would fail again."""
    if error.connection_invalidated:
        return True
    cause = error.orig
    state = getattr(cause, "sqlstate", None)
    if state:
        return str(state)[:2] in _OUTAGE_CLASSES
    if isinstance(cause, sqlite3.Error):
        return (getattr(cause, "sqlite_errorcode", 0) & 0xFF) in _SQLITE_OUTAGES
    # psycopg's "connection refused" and other failures to connect carry no SQLSTATE.
    return isinstance(error, OperationalError)


def _handle_database_error(error: DBAPIError) -> tuple[str, int]:
    if not is_outage(error):
        return _handle_unexpected(error)
    # A database that is down or restarting: tell the person to come back, don't show a trace.
    log.error("database unavailable: %s", error)
    return render_error(ServiceUnavailable.code)


def _handle_unexpected(error: Exception) -> tuple[str, int]:
    log.error("unhandled error on %s %s", request.method, loggable_path(), exc_info=error)
    return render_error(InternalServerError.code)


def init_app(app: Flask, answers: Mapping[str, HttpErrorAnswer] | None = None) -> None:
    """Register the handlers; ``answers`` maps a path prefix to whoever answers its HTTP errors
    (the API blueprint registers its own JSON/XML handlers for its rules)."""
    app.register_error_handler(HTTPException, _http_handler(dict(answers or {})))
    app.register_error_handler(DBAPIError, _handle_database_error)
    app.register_error_handler(Exception, _handle_unexpected)
