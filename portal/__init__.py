"""The Brussels prevention portal: ``create_app()`` builds the Flask application.

Order: configuration → extensions → blueprints → error handlers → command line.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.http import dump_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import config as config_module
from portal import errors, i18n, security
from portal.api import errors as api_errors
from portal.application import PortalFlask
from portal.config import LANGUAGES
from portal.db import close_sessions_safely, configure_sqlite
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def create_app(settings: Mapping[str, Any] | None = None) -> Flask:
    """Build the application; ``settings`` (for tests) override defaults and ``PORTAL_*``."""
    settings = dict(settings or {})
    instance_path = settings.pop("INSTANCE_PATH", None) or os.environ.get("PORTAL_INSTANCE_PATH")
    app = PortalFlask(__name__, instance_path=instance_path, instance_relative_config=True)
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config_module.load(instance, settings))
    app.url_map.converters["lang"] = i18n.LanguageConverter
    if app.config["TRUST_PROXY"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    from portal import geo

    geo.configure_cache(app.config["GEO_CACHE_DIR"])
    _import_models()
    _import_notifications()
    _init_extensions(app)
    _init_languages(app)
    _register_blueprints(app)
    errors.init_app(app, {"/open311/": api_errors.http_error})
    security.init_app(app)
    from portal import health, metrics, requestlog

    requestlog.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(health.bp)
    from portal import cli

    cli.init_app(app)
    return app


def _import_models() -> None:
    """Every table must be known to the metadata, for queries and for Alembic alike."""
    # Imported for their effect only; each binds the name ``portal``, so only the last one is
    # reported as unused.
    import portal.accounts.models
    import portal.api.models
    import portal.courses.models
    import portal.notify.models
    import portal.reports.models
    import portal.territory.models  # noqa: F401


def _import_notifications() -> None:
    """Every message kind must be registered before the outbox worker renders one."""
    import portal.accounts.notifications
    import portal.courses.notifications
    import portal.reports.notifications  # noqa: F401


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    close_sessions_safely(app, db)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True,
                     compare_type=True)
    babel.init_app(app, locale_selector=i18n.current_language,
                   timezone_selector=lambda: config_module.TIMEZONE)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
    # Every limit of the portal is a decorator on its route, which checks itself when the view
    # runs. Flask-Limiter's app-wide hook is only for default limits, which the portal has
    # none of: without it, every other request saves the work of resolving no limit at all.
    hooks = app.before_request_funcs.get(None, [])
    hooks[:] = [hook for hook in hooks if getattr(hook, "__self__", None) is not limiter]
    i18n.init_app(app)
    from portal.territory import services as territory

    # Sentences name a municipality with a whole form ("la commune d'Ixelles"), never a glued name.
    app.jinja_env.globals["the_municipality"] = territory.the_municipality
    app.jinja_env.globals["in_municipality"] = territory.in_municipality


def _init_languages(app: Flask) -> None:
    """Every page lives under /fr/, /nl/ or /en/; the prefix decides the language."""

    @app.url_value_preprocessor
    def _take_language(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        lang = values.pop("lang", None) if values else None
        if lang is None:
            first = request.path.strip("/").split("/", 1)[0]
            lang = first if first in LANGUAGES else i18n.negotiate(request)
            g.lang_from_url = False
        else:
            g.lang_from_url = True
        g.language_token = i18n.set_language(lang)

    @app.teardown_request
    def _forget_language(_error: BaseException | None) -> None:
        # The thread may serve a command or another app next: leave no language behind.
        token = g.pop("language_token", None)
        if token is not None:
            i18n.reset_language(token)

    @app.url_defaults
    def _add_language(endpoint: str, values: dict[str, Any]) -> None:
        if "lang" not in values and app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = i18n.current_language()

    # The header is the same for every answer in a language: written once (a visitor without
    # the cookie, a crawler, gets it on every page). Max-Age only, no Expires date: a kept
    # header must not carry the moment it was first written.
    language_cookies: dict[tuple[str, bool], str] = {}

    @app.after_request
    def _remember_language(response: Response) -> Response:
        lang = i18n.current_language()
        if g.get("lang_from_url") and request.cookies.get(i18n.LANGUAGE_COOKIE) != lang:
            secure = bool(app.config["SESSION_COOKIE_SECURE"])
            header = language_cookies.get((lang, secure))
            if header is None:
                header = language_cookies[lang, secure] = dump_cookie(
                    i18n.LANGUAGE_COOKIE, lang, max_age=365 * 24 * 3600, samesite="Lax",
                    httponly=True, secure=secure, sync_expires=False)
            response.headers.add("Set-Cookie", header)
        return response

    @app.context_processor
    def _language_links() -> dict[str, Any]:
        return {"alternates": i18n.alternate_urls(), "language_names": i18n.language_names()}


def _register_blueprints(app: Flask) -> None:
    from portal.reports.views import bp as report_bp
    from portal.reports.views import tracking as tracking_bp
    from portal.site.views import bp as site_bp
    from portal.site.views import root as root_bp

    app.register_blueprint(root_bp)
    app.register_blueprint(site_bp)
    from portal.site.maps import bp as maps_bp

    app.register_blueprint(maps_bp)
    app.register_blueprint(report_bp)
    app.register_blueprint(tracking_bp)
    from portal.api.views import bp as open311_bp

    # Partners authenticate with their API key, not a session cookie: no CSRF token to send.
    csrf.exempt(open311_bp)
    app.register_blueprint(open311_bp)
    from portal.courses.views import bp as courses_bp

    app.register_blueprint(courses_bp)
    from portal.accounts.views import bp as accounts_bp
    from portal.reports.manage_views import bp as manage_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(manage_bp)
    from portal.accounts.admin_views import bp as admin_bp
    from portal.reports.admin_replies import bp as reply_templates_bp
    from portal.reports.admin_views import bp as reports_admin_bp

    app.register_blueprint(admin_bp)
    app.register_blueprint(reports_admin_bp)
    app.register_blueprint(reply_templates_bp)
    from portal.courses.manage_views import bp as manage_courses_bp

    app.register_blueprint(manage_courses_bp)
