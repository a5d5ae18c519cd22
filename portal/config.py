"""Settings: defaults here, each overridable by a ``PORTAL_*`` environment variable.

``create_app(settings)`` applies a mapping of settings last, which is how tests configure the app.
"""
from __future__ import annotations

import os
import secrets
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: The languages of the portal, in the order the language switch shows them.
#: Adding a language: add it here and in ``LANGUAGE_AUTONYMS``, give it a catalog
#: (``pybabel init``), and add its per-language columns with one migration (see
#: docs/architecture.md).
LANGUAGES: tuple[str, ...] = ("fr", "nl", "en")
#: Each language's name written in that language: the switch, and where people choose theirs.
LANGUAGE_AUTONYMS: dict[str, str] = {"fr": "Français", "nl": "Nederlands", "en": "English"}
DEFAULT_LANGUAGE = "fr"
TIMEZONE = "Europe/Brussels"
#: Links made outside a request (the e-mail worker, commands) when PORTAL_BASE_URL is not set.
FALLBACK_BASE_URL = "http://127.0.0.1:5000"


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


#: name -> (default, parser). Each name is read from the environment as ``PORTAL_<NAME>``.
#: A default of ``None`` means "derived at start-up" (see ``load``).
SETTINGS: dict[str, tuple[Any, Any]] = {
    "DATABASE_URL": (None, str),
    "SECRET_KEY": (None, str),
    #: The public address for absolute links; empty: the request's own host (see ``base_url``).
    "BASE_URL": ("", str),
    "PREFERRED_URL_SCHEME": ("http", str),
    "SESSION_COOKIE_SECURE": (False, _bool),
    "MAIL_SERVER": ("", str),
    "MAIL_PORT": (25, int),
    "MAIL_USERNAME": ("", str),
    "MAIL_PASSWORD": ("", str),
    "MAIL_USE_TLS": (False, _bool),
    "MAIL_USE_SSL": (False, _bool),
    "MAIL_SENDER": ("Brussels prevention portal <noreply@portal.localhost>", str),
    "MAIL_TIMEOUT": (10.0, float),
    "RATELIMIT_STORAGE_URI": ("memory://", str),
    "RATELIMIT_KEY_PREFIX": ("", str),
    #: Each Open311 key's budget for filing requests.
    "OPEN311_RATE_LIMIT": ("60 per minute", str),
    "MAX_UPLOAD_MB": (32, int),
    "TRUST_PROXY": (False, _bool),
    "CONTACT_EMAIL": ("prevention@portal.localhost", str),
    "REPORT_RETENTION_MONTHS": (12, int),
    "COURSE_RETENTION_DAYS": (30, int),
    #: A public form sent back faster than this (seconds) is refused as a robot's.
    "FORM_MIN_SECONDS": (3, int),
    #: A public form's time stamp older than this (hours) is refused like a missing one.
    "FORM_MAX_HOURS": (6, int),
    #: "text" (one readable line per request) or "json" (one JSON object per line).
    "LOG_FORMAT": ("text", str),
    #: Bearer token that /metrics requires; empty: no /metrics and no per-request counting.
    "METRICS_TOKEN": ("", str),
    #: /readyz fails when the oldest unsent e-mail is older than this (seconds; 0: not checked).
    "READY_OUTBOX_MAX_AGE": (3600, int),
    #: Background tiles of the maps, e.g. ``https://tile.example/{z}/{x}/{y}.png``; empty (the
    #: default): no tiles, the municipal outlines are the map and no request leaves the portal.
    "MAP_TILE_URL": ("", str),
    #: The tiles' attribution as HTML (e.g. "&copy; OpenStreetMap contributors"), shown with them.
    "MAP_TILE_ATTRIBUTION": ("", str),
    #: New reports reach a municipality's contact address as one digest every this many minutes
    #: (0: one e-mail per report, at once).
    "NEW_REPORT_DIGEST_MINUTES": (15, int),
    #: Police-on-web, the federal police's online declaration service, linked from the next-step
    #: advice ("{lang}" becomes fr or nl; see portal/reports/next_step.py).
    "POLICE_ON_WEB_URL": ("https://www.police.be/{lang}/police-on-web", str),
}


def _instance_secret_key(instance_path: Path) -> str:
    """Return the key kept in ``instance/secret_key``, creating it (mode 0600) on first use.

    Several workers may start at once: ``O_EXCL`` makes exactly one of them write the file and
    the others read what it wrote.
    """
    path = instance_path / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = ""
        for _attempt in range(50):  # the writer may not have finished its one write yet
            key = path.read_text(encoding="ascii").strip()
            if key:
                return key
            time.sleep(0.01)
        raise RuntimeError(f"{path} is empty: delete it to generate a new key") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(instance_path: Path, overrides: Mapping[str, Any] | None = None,
         environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Build the Flask config: defaults, then ``PORTAL_*`` variables, then ``overrides``."""
    environ = os.environ if environ is None else environ
    config: dict[str, Any] = {}
    for name, (default, parse) in SETTINGS.items():
        raw = environ.get(f"PORTAL_{name}")
        config[name] = parse(raw) if raw not in (None, "") else default
    config.update(overrides or {})

    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'portal.sqlite3'}"
    config["DATABASE_URL"] = normalise_database_url(config["DATABASE_URL"])
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret_key(instance_path)

    # Names the extensions read.
    config["SQLALCHEMY_DATABASE_URI"] = config["DATABASE_URL"]
    config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_MB"] * 1024 * 1024
    config.setdefault("UPLOAD_DIR", str(instance_path / "uploads"))
    config.setdefault("MAIL_FILE_DIR", str(instance_path / "mail"))
    config.setdefault("GEO_CACHE_DIR", str(instance_path))
    config.setdefault("PASSWORD_HASH_METHOD", "scrypt")
    config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    config.setdefault("WTF_CSRF_TIME_LIMIT", 4 * 3600)  # a long report form on a slow phone
    config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", _engine_options(config["DATABASE_URL"]))
    return config


def _engine_options(url: str) -> dict[str, Any]:
    # hide_parameters: a database error names the statement, never its values (a description,
    # an e-mail address), so the error logs carry no personal data.
    if url.startswith("sqlite"):
        # The busy timeout makes a writer wait for the lock instead of failing (see db.py).
        return {"connect_args": {"timeout": 15, "check_same_thread": False},
                "hide_parameters": True}
    # pre_ping: after a database restart, the next request gets a fresh connection, not an error.
    return {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10, "pool_timeout": 10,
            "hide_parameters": True}


def base_url() -> str:
    """The portal's public address, without a trailing slash, for links that leave the page.

    ``PORTAL_BASE_URL`` when set (production must set it: without it a link follows the Host
    header the client sent); else the host and port the request came to, so that a local server on
    another port links to itself; else, outside a request, ``FALLBACK_BASE_URL``.
    """
    from flask import current_app, has_request_context, request

    configured: str = current_app.config["BASE_URL"]
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/")
    return FALLBACK_BASE_URL
