"""One log line per request, with a request id that follows the e-mails it causes.

Logs hold no personal data: no query string (Open311 keys, search terms), no body, no client
address, and a path's secret (a tracking, booking or password-reset link) is replaced by
``[redacted]``. Every line also goes through ``scrub``: an e-mail address that an error message
carries (a refused recipient, a database error) never reaches the log either.
"""
from __future__ import annotations

import json
import logging
import re
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Request, Response, g, has_request_context, request

#: The header that carries the id: set on every answer, taken from a trusted proxy.
REQUEST_ID_HEADER = "X-Request-ID"
#: An id a trusted reverse proxy sends is kept if it looks like one (a safe, short token).
_INBOUND_ID = re.compile(r"[A-Za-z0-9._-]{8,64}\Z")
#: View arguments whose value is a secret: it never appears in a logged path.
SECRET_ARGS = frozenset({"token"})
REDACTED = "[redacted]"
#: A word: a run of characters between separators, taken whole and never backtracked into
#: (possessive ``++``), so a long hostile path costs one pass (a pattern that searched for the
#: address itself took minutes on a 100 KB path, n² or worse, inside the request's log formatter).
_WORD = re.compile(r"[^\s<>\"'(),;:\[\]]++")
#: After an "@", a domain: a dot and a top-level name of letters after at least one character.
_DOMAIN = re.compile(r".\.[A-Za-z]{2}")
#: Fields a request line carries besides its message (JSON keys; text puts them in the line).
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "endpoint")

request_log = logging.getLogger("portal.request")


def scrub(text: str) -> str:
    """Replace e-mail addresses: the last guard, whatever a message or a traceback says."""
    if "@" not in text:  # every request's line, nearly always: no word to look at
        return text
    return _WORD.sub(lambda word: "[e-mail]" if _is_address(word[0]) else word[0], text)


def _is_address(word: str) -> bool:
    """A word with an "@" followed by a domain (the whole word goes: "to=jan@example.be" too)."""
    return "@" in word and any(_DOMAIN.search(domain) for domain in word.split("@")[1:])


def current_request_id() -> str | None:
    """The id of the request being served, or None in a command (the outbox worker, cron)."""
    return g.get("request_id") if has_request_context() else None


def loggable_path(current: Request | None = None) -> str:
    """The request's path with its secrets replaced; for an address no rule matched (it may be a
    mistyped secret link), only its first two segments."""
    current = current or request._get_current_object()  # type: ignore[attr-defined]
    path = current.path
    if current.url_rule is None:
        parts = path.split("/", 3)
        return "/".join(parts[:3]) + ("/…" if len(parts) > 3 else "")
    for name, value in (current.view_args or {}).items():
        if name in SECRET_ARGS and value:
            path = path.replace(f"/{value}", f"/{REDACTED}")
    return path


class _RequestIdFilter(logging.Filter):
    """Every record written while a request is served carries that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id() or "-"
        return True


class TextFormatter(logging.Formatter):
    """``time level logger request-id message``: for a terminal and ``make run``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class JSONFormatter(logging.Formatter):
    """One JSON object a line (``PORTAL_LOG_FORMAT=json``), for a log collector."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for name in REQUEST_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(entry, ensure_ascii=False))


class _StderrHandler(logging.StreamHandler):
    """Writes to the process's standard error (gunicorn's error log, a terminal, journald),
    never to what a command's caller put in ``sys.stderr`` for its own messages."""

    def __init__(self) -> None:
        super().__init__(sys.__stderr__)
        self.addFilter(_RequestIdFilter())


def configure_logging(log_format: str) -> None:
    """Send the ``portal`` loggers' INFO and above to standard error, as text or JSON.

    Once per process (each ``create_app`` only sets the format again): several apps in one
    process (the tests) must not write each line several times.
    """
    logger = logging.getLogger("portal")
    handler = next((h for h in logger.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        from flask.logging import default_handler

        logger.removeHandler(default_handler)  # ours replaces Flask's
        handler = _StderrHandler()
        logger.addHandler(handler)
        # The development server's access lines show full paths and query strings: the
        # request line below replaces them.
        logging.getLogger("werkzeug").addFilter(_not_an_access_line)
    handler.setFormatter(JSONFormatter() if log_format == "json" else TextFormatter())
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)


def _not_an_access_line(record: logging.LogRecord) -> bool:
    # werkzeug.serving writes "<address> - - [<date>] <message>" about each request (its access
    # line, and its errors quoting the request line); its start-up lines have no such prefix.
    return " - - [" not in str(record.msg)


def init_app(app: Flask) -> None:
    """Give each request an id, answer it in ``X-Request-ID`` and log one line when it ends."""
    configure_logging(app.config["LOG_FORMAT"])
    trust_proxy = app.config["TRUST_PROXY"]

    # Each hook reads the context's objects once: every access through Flask's proxies costs.
    def _start() -> None:
        context = g._get_current_object()
        context.request_started = time.perf_counter()
        inbound = request.headers.get(REQUEST_ID_HEADER, "") if trust_proxy else ""
        context.request_id = inbound if _INBOUND_ID.match(inbound) else secrets.token_hex(8)

    # First of all hooks, so that the time includes the others' work.
    app.before_request_funcs.setdefault(None, []).insert(0, _start)

    @app.after_request
    def _log_request(response: Response) -> Response:
        context = g._get_current_object()
        current = request._get_current_object()  # type: ignore[attr-defined]
        started = context.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        request_id = context.get("request_id", "-")
        response.headers[REQUEST_ID_HEADER] = request_id
        path, status, method = loggable_path(current), response.status_code, current.method
        if request_log.isEnabledFor(logging.INFO):
            # The record made directly: ``info()`` would first walk the stack to find its
            # caller's file and line, which no handler of the portal writes (17 µs instead of
            # 28 per line, measured in-process).
            request_log.handle(request_log.makeRecord(
                request_log.name, logging.INFO, __file__, 0, "%s %s %s %s ms",
                (method, path, status, duration_ms), None,
                extra={"request_id": request_id, "method": method, "path": path,
                       "status": status, "duration_ms": duration_ms,
                       "endpoint": current.endpoint}))
        return response
